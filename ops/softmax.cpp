// softmax and log_softmax along one axis.
//   softmax    : y = exp(x − m) / Σ exp(x − m)           m = max along the axis (stability)
//                gx += y ⊙ (gy − Σ gy ⊙ y)
//   log_softmax: y = (x − m) − log Σ exp(x − m)
//                gx += gy − exp(y) · Σ gy                (exp(y) is the softmax)
//   saves      : y only, for both.
// The last axis (inner == 1, every classifier) runs on contiguous rows with xsimd, one row per
// task. Any other axis is walked as [outer, n, inner], comparing and adding whole rows of the
// inner extent (scalar loops, contiguous memory). Rows are independent, so results do not depend
// on the thread count. row_max and log_sum_exp_shifted are also the forward of the fused
// cross_entropy.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"
#include "ops/reduce_plan.h"
#include "ops/simd.h"

namespace tg::kernels {

/// Largest element of x[0, n); −∞ when n = 0. (A NaN reaches the result through the sums below.)
template <class T>
T row_max(const T* x, std::int64_t n) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = B::size;
  T m = -std::numeric_limits<T>::infinity();
  std::int64_t i = 0;
  if (n >= W) {
    B acc = B::load_unaligned(x);
    for (i = W; i + W <= n; i += W) acc = xsimd::max(acc, B::load_unaligned(x + i));
    T lanes[W];
    acc.store_unaligned(lanes);
    m = *std::max_element(lanes, lanes + W);
  }
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

/// Σ exp(x[i] − shift); when y is given, also y[i] = exp(x[i] − shift).
template <bool kStore, class T>
T exp_shifted(const T* x, T shift, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B s(shift);
  B acc(T(0));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B e = xsimd::exp(B::load_unaligned(x + i) - s);
    if constexpr (kStore) e.store_unaligned(y + i);
    acc += e;
  }
  T total = simd::reduce_add(acc);
  for (; i < n; ++i) {
    const T e = std::exp(x[i] - shift);
    if constexpr (kStore) y[i] = e;
    total += e;
  }
  return total;
}

template <class T>
T log_sum_exp_shifted(const T* x, T m, std::int64_t n) {
  return std::log(exp_shifted<false>(x, m, static_cast<T*>(nullptr), n));
}
template float row_max<float>(const float*, std::int64_t);
template double row_max<double>(const double*, std::int64_t);
template float log_sum_exp_shifted<float>(const float*, float, std::int64_t);
template double log_sum_exp_shifted<double>(const double*, double, std::int64_t);

template <class T>
void softmax_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const T inv = T(1) / exp_shifted<true>(x, row_max(x, n), y, n);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) (B::load_unaligned(y + i) * B(inv)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] *= inv;
}

/// y = (x − m) − log Σ exp(x − m): subtracting m first keeps x − m exact for large logits.
template <class T>
void log_softmax_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const T m = row_max(x, n), log_sum = log_sum_exp_shifted(x, m, n);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    ((B::load_unaligned(x + i) - B(m)) - B(log_sum)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = (x[i] - m) - log_sum;
}

template <class T>
void softmax_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = B::size;
  B acc(T(0));
  std::int64_t i = 0;
  for (; i + W <= n; i += W) acc = xsimd::fma(B::load_unaligned(gy + i), B::load_unaligned(y + i), acc);
  T dot = simd::reduce_add(acc);
  for (; i < n; ++i) dot += gy[i] * y[i];
  for (i = 0; i + W <= n; i += W) {
    const B g = B::load_unaligned(gy + i) - B(dot);
    xsimd::fma(B::load_unaligned(y + i), g, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += y[i] * (gy[i] - dot);
}

template <class T>
void log_softmax_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = B::size;
  B acc(T(0));
  std::int64_t i = 0;
  for (; i + W <= n; i += W) acc += B::load_unaligned(gy + i);
  T total = simd::reduce_add(acc);
  for (; i < n; ++i) total += gy[i];
  for (i = 0; i + W <= n; i += W) {
    const B g = B::load_unaligned(gy + i) - xsimd::exp(B::load_unaligned(y + i)) * B(total);
    (B::load_unaligned(gx + i) + g).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] - std::exp(y[i]) * total;
}

// Along a non-last axis: column i < width of `rows` rows that are `stride` apart; a and b are
// scratch of `width` elements each.

template <class T>
void softmax_forward_columns(const T* x, T* y, std::int64_t rows, std::int64_t stride, std::int64_t width, T* a, T* b,
                             bool log) {
  std::fill(a, a + width, -std::numeric_limits<T>::infinity());  // a: running max
  std::fill(b, b + width, T(0));                                 // b: Σ exp(x − max)
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) a[i] = std::max(a[i], x[r * stride + i]);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) b[i] += std::exp(x[r * stride + i] - a[i]);
  for (std::int64_t i = 0; i < width; ++i) b[i] = log ? std::log(b[i]) : T(1) / b[i];
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) {
      const std::int64_t k = r * stride + i;
      y[k] = log ? (x[k] - a[i]) - b[i] : std::exp(x[k] - a[i]) * b[i];
    }
}

template <class T>
void softmax_backward_columns(const T* y, const T* gy, T* gx, std::int64_t rows, std::int64_t stride,
                              std::int64_t width, T* a, T* /*b*/, bool log) {
  std::fill(a, a + width, T(0));  // a: Σ gy (log) or Σ gy ⊙ y
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) a[i] += log ? gy[r * stride + i] : gy[r * stride + i] * y[r * stride + i];
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < width; ++i) {
      const std::int64_t k = r * stride + i;
      gx[k] += log ? gy[k] - std::exp(y[k]) * a[i] : y[k] * (gy[k] - a[i]);
    }
}

}  // namespace tg::kernels

namespace tg {
namespace {

/// Roughly how many flops an exp costs, for the parallel grain.
constexpr std::int64_t kExpCost = 8;

// Runs row(offset) for each contiguous row when the axis is last, else
// columns(offset, width, scratch_a, scratch_b) for slices of the [outer, n, inner] view.
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
      columns(o * n * inner + column, width, scratch.data(), scratch.data() + width);
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
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    for_each_slice<T>(
        outer, n, inner,
        [&](std::int64_t o) {
          if (log)
            kernels::log_softmax_forward(xd + o, yd + o, n);
          else
            kernels::softmax_forward(xd + o, yd + o, n);
        },
        [&](std::int64_t o, std::int64_t width, T* s0, T* s1) {
          kernels::softmax_forward_columns(xd + o, yd + o, n, inner, width, s0, s1, log);
        });
  });
  record(op, {x}, y, {y}, [x, y, outer, n, inner, log, op](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), op, [&]<class T>() {
      const T* yd = y.data<T>();
      const T* g = gy.data<T>();
      T* d = gx.data<T>();
      for_each_slice<T>(
          outer, n, inner,
          [&](std::int64_t o) {
            if (log)
              kernels::log_softmax_backward(yd + o, g + o, d + o, n);
            else
              kernels::softmax_backward(yd + o, g + o, d + o, n);
          },
          [&](std::int64_t o, std::int64_t width, T* s0, T* s1) {
            kernels::softmax_backward_columns(yd + o, g + o, d + o, n, inner, width, s0, s1, log);
          });
    });
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_family(x, axis, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_family(x, axis, true); }

}  // namespace tg
