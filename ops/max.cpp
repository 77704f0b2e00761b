// max (all elements, or along one axis) and argmax.
//   forward : y = x[k], k = the FIRST index of a maximal element (a NaN counts as maximal, so it
//             propagates, as in PyTorch)
//   backward: gx[k] += gy — the whole gradient goes to that one element, even on ties
//   saves   : k: one integer for the full max (captured by value), an int64 tensor of output
//             shape for max along an axis. The values are not needed.
// argmax returns k along an axis and records nothing. These are not hot (accuracy counting on
// [batch, 10] outputs), so the kernels are scalar loops; along a non-last axis they compare
// whole rows so memory is still read contiguously.
#include <algorithm>
#include <vector>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/reduce.h"
#include "ops/reduction.h"

namespace tg::kernels {

/// v replaces the current best: larger, or the first NaN.
template <class T>
bool beats(T v, T best) {
  return v > best || (v != v && best == best);
}

/// Index of the first maximal element of x[0, n), n ≥ 1.
template <class T>
std::int64_t argmax_contiguous(const T* x, std::int64_t n) {
  std::int64_t k = 0;
  for (std::int64_t i = 1; i < n; ++i)
    if (beats(x[i], x[k])) k = i;
  return k;
}

/// For i < width: y[i] = max_r x[r·stride + i] and index[i] = its first r (rows ≥ 1).
template <class T>
void max_rows(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, T* y, std::int64_t* index) {
  std::copy(x, x + width, y);
  std::fill(index, index + width, std::int64_t{0});
  for (std::int64_t r = 1; r < rows; ++r) {
    const T* row = x + r * stride;
    for (std::int64_t i = 0; i < width; ++i)
      if (beats(row[i], y[i])) {
        y[i] = row[i];
        index[i] = r;
      }
  }
}

}  // namespace tg::kernels

namespace tg {
namespace {

struct AxisView {
  std::int64_t outer = 1, reduced = 1, inner = 1;
  Shape kept, squeezed;  // output shape with the axis as extent 1 / removed
};

AxisView axis_view(const Tensor& x, int axis, const char* op) {
  check(x.defined(), op, ": the input is undefined");
  check(x.dtype() != DType::int64, op, ": expected a float32 or float64 tensor, got ", describe(x));
  const int a = checked_axis(x, axis, op);
  check(x.size(a) > 0, op, ": axis ", axis, " of ", describe(x), " is empty");
  AxisView v;
  for (int k = 0; k < x.dim(); ++k) {
    (k < a ? v.outer : k == a ? v.reduced : v.inner) *= x.size(k);
    v.kept.push_back(k == a ? 1 : x.size(k));
    if (k != a) v.squeezed.push_back(x.size(k));
  }
  return v;
}

// values[o, j] = max_r x[o, r, j] and index[o, j] = its first r, in parallel over outputs.
template <class T>
void max_along(const T* x, const AxisView& v, T* values, std::int64_t* index) {
  parallel_for(v.outer * v.inner, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t j = b; j < e;) {
      const std::int64_t o = j / v.inner, column = j % v.inner;
      const T* base = x + o * v.reduced * v.inner + column;
      if (v.inner == 1) {
        index[j] = kernels::argmax_contiguous(base, v.reduced);
        values[j] = base[index[j]];
        ++j;
      } else {
        const std::int64_t width = std::min(e - j, v.inner - column);
        kernels::max_rows(base, v.reduced, v.inner, width, values + j, index + j);
        j += width;
      }
    }
  }, v.reduced);
}

struct Best {
  double value = 0;
  std::int64_t index = -1;  // -1: no element seen yet
};

}  // namespace

Tensor max(const Tensor& x) {
  check(x.defined(), "max: the input is undefined");
  check(x.numel() > 0, "max: ", describe(x), " has no elements");
  Tensor y = empty({}, x.dtype());
  const std::int64_t k = dispatch(x.dtype(), "max", [&]<class T>() {
    const T* data = x.data<T>();
    // Blocks are combined in order and a later block must be strictly better, so the first
    // maximal element wins whatever the thread count (Note [Deterministic reductions]).
    const Best best = parallel_reduce(
        x.numel(), Best{},
        [&](std::int64_t b, std::int64_t e) {
          const std::int64_t i = b + kernels::argmax_contiguous(data + b, e - b);
          return Best{static_cast<double>(data[i]), i};
        },
        [](const Best& acc, const Best& block) {
          return acc.index < 0 || kernels::beats(block.value, acc.value) ? block : acc;
        });
    y.data<T>()[0] = data[best.index];
    return best.index;
  });
  record("max", {x}, y, {}, [x, k](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "max", [&]<class T>() { gx.data<T>()[k] += gy.data<T>()[0]; });
  });
  return y;
}

Tensor max(const Tensor& x, int axis, bool keepdim) {
  const AxisView v = axis_view(x, axis, "max");
  Tensor y = empty(keepdim ? v.kept : v.squeezed, x.dtype());
  Tensor index = empty(y.shape(), DType::int64);
  dispatch(x.dtype(), "max", [&]<class T>() { max_along(x.data<T>(), v, y.data<T>(), index.data<std::int64_t>()); });
  record("max", {x}, y, {index}, [x, v, index](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "max", [&]<class T>() {
      const std::int64_t* k = index.data<std::int64_t>();
      const T* g = gy.data<T>();
      T* d = gx.data<T>();
      for (std::int64_t j = 0; j < v.outer * v.inner; ++j) {
        const std::int64_t o = j / v.inner, column = j % v.inner;
        d[(o * v.reduced + k[j]) * v.inner + column] += g[j];
      }
    });
  });
  return y;
}

Tensor argmax(const Tensor& x, int axis) {
  const AxisView v = axis_view(x, axis, "argmax");
  Tensor index = empty(v.squeezed, DType::int64);
  dispatch(x.dtype(), "argmax", [&]<class T>() {
    std::vector<T> values(static_cast<std::size_t>(index.numel()));
    max_along(x.data<T>(), v, values.data(), index.data<std::int64_t>());
  });
  return index;
}

}  // namespace tg
