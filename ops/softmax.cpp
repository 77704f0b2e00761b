// softmax and log_softmax along one axis.
//   softmax    : y = exp(x − m) / Σ exp(x − m)           m = max along the axis (stability)
//                gx += y ⊙ (gy − Σ gy ⊙ y)
//   log_softmax: y = (x − m) − log Σ exp(x − m)
//                gx += gy − exp(y) · Σ gy                (exp(y) is the softmax)
//   saves      : y only, for both.
// The last axis (inner == 1, every classifier) runs on contiguous rows with SIMD, one row per
// task. Any other axis is walked as [outer, n, inner], comparing and adding whole rows of the
// inner extent (scalar loops, contiguous memory). Rows are independent, so results do not depend
// on the thread count. row_max and log_sum_exp_shifted (softmax_kernels.h) are also the forward
// of the fused cross_entropy.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/reduction.h"
#include "ops/softmax_kernels.h"
#include "tensor/parallel.h"

namespace tg::kernels {

template <class Arch, class T>
void softmax_forward(const T* x, T* y, std::int64_t n) {
  const simd::Batch<T, Arch> inv(T(1) / exp_shifted<Arch>(x, row_max<Arch>(x, n), y, n));
  simd::map<Arch>(n, [&](const auto& e) { return e * inv; }, y, y);
}
TG_KERNEL(softmax_forward)

/// y = (x − m) − log Σ exp(x − m): subtracting m first keeps x − m exact for large logits.
template <class Arch, class T>
void log_softmax_forward(const T* x, T* y, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const T m = row_max<Arch>(x, n);
  const B mb(m), log_sum(log_sum_exp_shifted<Arch>(x, m, n));
  simd::map<Arch>(n, [&](const B& v) { return (v - mb) - log_sum; }, y, x);
}
TG_KERNEL(log_softmax_forward)

template <class Arch, class T>
void softmax_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B dot(simd::sum_map<Arch, T>(n, [](const B& g, const B& v) { return g * v; }, gy, y));
  simd::map<Arch>(n, [&](const B& v, const B& g, const B& d) { return xsimd::fma(v, g - dot, d); }, gx, y, gy, gx);
}
TG_KERNEL(softmax_backward)

template <class Arch, class T>
void log_softmax_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B total(simd::sum_map<Arch, T>(n, [](const B& g) { return g; }, gy));
  simd::map<Arch>(n, [&](const B& v, const B& g, const B& d) { return d + (g - xsimd::exp(v) * total); }, gx, y, gy, gx);
}
TG_KERNEL(log_softmax_backward)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
namespace {

/// Roughly how many flops an exp costs, for the parallel grain.
constexpr std::int64_t kExpCost = 8;

// Along a non-last axis: columns i < width of `rows` rows that are `stride` apart, with two
// per-column scratch arrays of `width` elements. Scalar loops; each walks memory row by row.
template <class T>
void softmax_forward_columns(const T* x, T* y, std::int64_t rows, std::int64_t stride, std::int64_t width,
                             T* running_max, T* sums, bool log) {
  std::fill(running_max, running_max + width, -std::numeric_limits<T>::infinity());
  std::fill(sums, sums + width, T(0));  // Σ exp(x − max)
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) running_max[i] = std::max(running_max[i], x[r * stride + i]);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) sums[i] += std::exp(x[r * stride + i] - running_max[i]);
  if (log) {
    for (std::int64_t i = 0; i < width; ++i) sums[i] = std::log(sums[i]);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < width; ++i) y[r * stride + i] = (x[r * stride + i] - running_max[i]) - sums[i];
  } else {
    for (std::int64_t i = 0; i < width; ++i) sums[i] = T(1) / sums[i];
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < width; ++i) y[r * stride + i] = std::exp(x[r * stride + i] - running_max[i]) * sums[i];
  }
}

template <class T>
void softmax_backward_columns(const T* y, const T* gy, T* gx, std::int64_t rows, std::int64_t stride,
                              std::int64_t width, T* sums, bool log) {
  std::fill(sums, sums + width, T(0));  // Σ gy (log) or Σ gy ⊙ y
  if (log) {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < width; ++i) sums[i] += gy[r * stride + i];
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < width; ++i) {
        const std::int64_t k = r * stride + i;
        gx[k] += gy[k] - std::exp(y[k]) * sums[i];
      }
  } else {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < width; ++i) sums[i] += gy[r * stride + i] * y[r * stride + i];
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = 0; i < width; ++i) {
        const std::int64_t k = r * stride + i;
        gx[k] += y[k] * (gy[k] - sums[i]);
      }
  }
}

// Runs row(offset) for each contiguous row when the axis is last, else
// columns(offset, width, scratch) for slices of the [outer, n, inner] view, where scratch holds
// 2·width values.
template <class T, class Row, class Columns>
void for_each_slice(std::int64_t outer, std::int64_t n, std::int64_t inner, Row&& row, Columns&& columns) {
  if (inner == 1) {
    parallel_for(outer, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t o = b; o < e; ++o) row(o * n);
    }, n * kExpCost);
    return;
  }
  parallel_for(outer * inner, [&](std::int64_t b, std::int64_t e) {
    std::vector<T> scratch(2 * static_cast<std::size_t>(std::min(inner, e - b)));
    for (std::int64_t j = b; j < e;) {
      const std::int64_t o = j / inner, column = j % inner, width = std::min(e - j, inner - column);
      columns(o * n * inner + column, width, scratch.data());
      j += width;
    }
  }, n * kExpCost);
}

Tensor softmax_family(const Tensor& x, int axis, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check(x.defined(), op, ": the input is undefined");
  check(x.dtype() != DType::int64, op, ": expected a float32 or float64 tensor, got ", describe(x));
  const int a = checked_axis(x, axis, op);
  std::int64_t outer = 1, inner = 1;
  for (int k = 0; k < a; ++k) outer *= x.size(k);
  for (int k = a + 1; k < x.dim(); ++k) inner *= x.size(k);
  const std::int64_t n = x.size(a);

  Tensor y = empty_like(x);
  dispatch(x.dtype(), op, [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      const T* xd = x.data<T>();
      T* yd = y.data<T>();
      for_each_slice<T>(
          outer, n, inner,
          [&](std::int64_t o) {
            if (log) kernels::log_softmax_forward<Arch>(xd + o, yd + o, n);
            else kernels::softmax_forward<Arch>(xd + o, yd + o, n);
          },
          [&](std::int64_t o, std::int64_t width, T* scratch) {
            softmax_forward_columns(xd + o, yd + o, n, inner, width, scratch, scratch + width, log);
          });
    });
  });
  record(op, {x}, y, {y}, [x, outer, n, inner, log, op](const Tensor& gy, const Tensor& y) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), op, [&]<class T>() {
      simd::with_isa([&]<class Arch>() {
        const T* yd = y.data<T>();
        const T* g = gy.data<T>();
        T* d = gx.data<T>();
        for_each_slice<T>(
            outer, n, inner,
            [&](std::int64_t o) {
              if (log) kernels::log_softmax_backward<Arch>(yd + o, g + o, d + o, n);
              else kernels::softmax_backward<Arch>(yd + o, g + o, d + o, n);
            },
            [&](std::int64_t o, std::int64_t width, T* scratch) {
              softmax_backward_columns(yd + o, g + o, d + o, n, inner, width, scratch, log);
            });
      });
    });
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_family(x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_family(x, axis, true); }

}  // namespace tg
#endif
