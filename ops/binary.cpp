// add, sub, mul, div with NumPy broadcasting — one family sharing one broadcast loop — and
// sum_to, the backward of broadcasting.
//   forward : y = a ⊕ b, both stretched to broadcast_shapes(a, b)
//   backward: add  ga += sum_to(gy)        gb += sum_to(gy)
//             sub  ga += sum_to(gy)        gb −= sum_to(gy)
//             mul  ga += sum_to(gy·b)      gb += sum_to(gy·a)
//             div  ga += sum_to(gy / b)    gb −= sum_to(gy·a / b²)
//   saves   : add and sub nothing; mul and div both inputs.
// The backward closures are compositions of ops (they run under NoGrad); sum_to reduces each
// gradient to its input's shape in a fixed order, so gradients are bit-identical for any
// number of threads (Note [Deterministic reductions] in tensor/parallel.h).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/simd.h"

namespace tg::kernels {

// The four operations, written once for scalars and xsimd batches alike.
struct AddOp { template <class V> static V apply(const V& a, const V& b) { return a + b; } };
struct SubOp { template <class V> static V apply(const V& a, const V& b) { return a - b; } };
struct MulOp { template <class V> static V apply(const V& a, const V& b) { return a * b; } };
struct DivOp { template <class V> static V apply(const V& a, const V& b) { return a / b; } };

// y[i] = a[i·sa] ⊕ b[i·sb] for i < n, where a stride of 0 repeats one value and 1 walks the array.
template <class Op, class T>
void binary_forward(const T* a, std::int64_t sa, const T* b, std::int64_t sb, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  auto load = [](const T* p, std::int64_t stride) { return stride ? B::load_unaligned(p) : B(*p); };
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    Op::apply(load(a + i * sa, sa), load(b + i * sb, sb)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = Op::apply(a[i * sa], b[i * sb]);  // scalar tail, same formula
}

// out[j] += g[offsets[p] + j] for j < n and p = 0, 1, ..., count − 1 in that order.
template <class T>
void sum_rows_into(const T* g, const std::int64_t* offsets, std::int64_t count, T* out, std::int64_t n) {
  using B = xsimd::batch<T>;
  for (std::int64_t p = 0; p < count; ++p) {
    const T* row = g + offsets[p];
    std::int64_t j = 0;
    for (; j + static_cast<std::int64_t>(B::size) <= n; j += B::size)
      (B::load_unaligned(out + j) + B::load_unaligned(row + j)).store_unaligned(out + j);
    for (; j < n; ++j) out[j] += row[j];
  }
}

// Σ x[0..n): lane-wise partial sums, then the lanes, then the tail — an order fixed by n alone.
template <class T>
T sum_contiguous(const T* x, std::int64_t n) {
  using B = xsimd::batch<T>;
  B acc(T(0));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) acc += B::load_unaligned(x + i);
  T s = simd::reduce_add(acc);
  for (; i < n; ++i) s += x[i];
  return s;
}

}  // namespace tg::kernels

namespace tg {
namespace {

// `s` right-aligned to `dims` axes by prepending extents of 1.
Shape align(const Shape& s, int dims) {
  Shape out;
  for (int i = s.dim(); i < dims; ++i) out.push_back(1);
  for (std::int64_t d : s) out.push_back(d);
  return out;
}

// True when `inner`, leading 1s dropped, equals the trailing axes of `outer`: then inner's
// values repeat every inner.numel() elements of outer (the bias case [B, M] ⊕ [M]).
bool is_suffix(const Shape& inner, const Shape& outer) {
  int lead = 0;
  while (lead < inner.dim() && inner[lead] == 1) ++lead;
  const int k = inner.dim() - lead;
  if (k > outer.dim()) return false;
  for (int i = 0; i < k; ++i)
    if (inner[lead + i] != outer[outer.dim() - k + i]) return false;
  return true;
}

template <class Op>
Tensor binary(const char* op, const Tensor& a, const Tensor& b) {
  check(a.dtype() == b.dtype(), op, ": a is ", describe(a), ", b is ", describe(b), ": dtypes differ");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor y = empty(shape, a.dtype());
  const std::int64_t n = y.numel(), na = a.numel(), nb = b.numel();
  if (n == 0) return y;
  dispatch(a.dtype(), op, [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* py = y.data<T>();
    if ((na == n || na == 1) && (nb == n || nb == 1)) {
      // Same shape, or one side is a single value: one strided pass.
      const std::int64_t sa = na == n, sb = nb == n;
      parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
        kernels::binary_forward<Op>(pa + begin * sa, sa, pb + begin * sb, sb, py + begin, end - begin);
      });
    } else if ((na == n && is_suffix(b.shape(), shape)) || (nb == n && is_suffix(a.shape(), shape))) {
      // One side repeats with period m along the flat output: walk it period by period.
      const std::int64_t m = na == n ? nb : na;
      parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end;) {
          const std::int64_t j = i % m, len = std::min(end - i, m - j);
          kernels::binary_forward<Op>(pa + (na == n ? i : j), 1, pb + (nb == n ? i : j), 1, py + i, len);
          i += len;
        }
      });
    } else {
      // General case: rows along the last axis; each row's start in a and b by index arithmetic,
      // with stride 0 on the axes that a or b stretches.
      const int d = shape.dim();
      const Shape as = align(a.shape(), d), bs = align(b.shape(), d);
      std::int64_t stride_a[Shape::kMaxDims], stride_b[Shape::kMaxDims];
      for (std::int64_t i = d - 1, ea = 1, eb = 1; i >= 0; --i) {
        stride_a[i] = as[i] == 1 ? 0 : ea;
        stride_b[i] = bs[i] == 1 ? 0 : eb;
        ea *= as[i];
        eb *= bs[i];
      }
      const std::int64_t cols = shape[d - 1];
      parallel_for(n / cols, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) {
          std::int64_t offset_a = 0, offset_b = 0;
          for (std::int64_t i = d - 2, rest = row; i >= 0; --i) {
            offset_a += rest % shape[i] * stride_a[i];
            offset_b += rest % shape[i] * stride_b[i];
            rest /= shape[i];
          }
          kernels::binary_forward<Op>(pa + offset_a, stride_a[d - 1], pb + offset_b, stride_b[d - 1], py + row * cols,
                                      cols);
        }
      }, cols);
    }
  });
  return y;
}

// Offsets into a row-major tensor of every index combination of the axes `axes`, row-major.
std::vector<std::int64_t> offsets_of(const std::vector<std::int64_t>& extent, const std::vector<std::int64_t>& stride,
                                     const std::vector<int>& axes) {
  std::vector<std::int64_t> result{0};
  for (int k : axes) {
    std::vector<std::int64_t> next;
    next.reserve(result.size() * extent[k]);
    for (std::int64_t base : result)
      for (std::int64_t j = 0; j < extent[k]; ++j) next.push_back(base + j * stride[k]);
    result.swap(next);
  }
  return result;
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  if (a == b) return a;  // the common case, without the alignment below
  const int d = std::max(a.dim(), b.dim());
  const Shape as = align(a, d), bs = align(b, d);
  Shape out;
  for (int i = 0; i < d; ++i) {
    check(as[i] == bs[i] || as[i] == 1 || bs[i] == 1, op, ": a is ", a, ", b is ", b, ": shapes do not broadcast");
    out.push_back(as[i] == 1 ? bs[i] : as[i]);
  }
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (shape == g.shape()) return g;  // nothing was stretched
  const int d = g.dim();
  bool ok = shape.dim() <= d;
  const Shape target = ok ? align(shape, d) : Shape();
  for (int i = 0; ok && i < d; ++i) ok = target[i] == g.size(i) || target[i] == 1;
  check(ok, "sum_to: cannot sum ", describe(g), " to ", shape, ": ", shape, " does not broadcast to ", g.shape());

  if (shape.numel() == g.numel()) return g.detach().reshape(shape);  // only 1s added or dropped: a view
  Tensor out = zeros(shape, g.dtype());
  if (g.numel() == 0) return out;

  dispatch(g.dtype(), "sum_to", [&]<class T>() {
    const T* pg = g.data<T>();
    T* po = out.data<T>();
    if (shape.numel() == 1) {
      po[0] = parallel_reduce(g.numel(), T(0), [&](std::int64_t b, std::int64_t e) {
        return kernels::sum_contiguous(pg + b, e - b);
      }, std::plus<T>());
      return;
    }
    // Merge neighbouring axes that are both kept or both summed (axes of extent 1 drop out):
    // [B, M] -> [M] becomes (summed B)(kept M); [2, 3, 4] -> [3, 1] becomes (summed 2)(kept 3)(summed 4).
    std::vector<std::int64_t> extent;
    std::vector<bool> summed;
    for (int i = 0; i < d; ++i) {
      if (g.size(i) == 1) continue;
      const bool s = target[i] == 1;
      if (!extent.empty() && summed.back() == s) {
        extent.back() *= g.size(i);
      } else {
        extent.push_back(g.size(i));
        summed.push_back(s);
      }
    }
    const int runs = static_cast<int>(extent.size());
    std::vector<std::int64_t> stride(runs, 1);
    for (int k = runs - 2; k >= 0; --k) stride[k] = stride[k + 1] * extent[k + 1];
    // The last run is contiguous in memory: `inner` elements, kept or summed. Every other run
    // is enumerated by offsets: kept ones give the output rows, summed ones the terms.
    std::vector<int> kept_axes, summed_axes;
    for (int k = 0; k + 1 < runs; ++k) (summed[k] ? summed_axes : kept_axes).push_back(k);
    const std::vector<std::int64_t> row_starts = offsets_of(extent, stride, kept_axes);
    const std::vector<std::int64_t> terms = offsets_of(extent, stride, summed_axes);
    const std::int64_t inner = extent.back(), count = static_cast<std::int64_t>(terms.size());
    const std::int64_t n_out = shape.numel();

    if (!summed.back()) {
      // Output row q = Σ over terms of the contiguous g rows; threads split the output, and every
      // element adds its terms in the same order whoever computes it.
      parallel_for(n_out, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end;) {
          const std::int64_t q = i / inner, c = i % inner, len = std::min(end - i, inner - c);
          kernels::sum_rows_into(pg + row_starts[q] + c, terms.data(), count, po + i, len);
          i += len;
        }
      }, count);
    } else {
      // Each output element is a sum of `count` contiguous runs of length `inner`.
      parallel_for(n_out, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t o = begin; o < end; ++o) {
          T acc = 0;
          for (std::int64_t p : terms) acc += kernels::sum_contiguous(pg + row_starts[o] + p, inner);
          po[o] = acc;
        }
      }, count * inner);
    }
  });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = binary<kernels::AddOp>("add", a, b);
  record("add", {a, b}, y, {}, [a, b](const Tensor& gy) {
    if (a.requires_grad()) accumulate_grad(a, sum_to(gy, a.shape()), "add");
    if (b.requires_grad()) accumulate_grad(b, sum_to(gy, b.shape()), "add");
  });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = binary<kernels::SubOp>("sub", a, b);
  record("sub", {a, b}, y, {}, [a, b](const Tensor& gy) {
    if (a.requires_grad()) accumulate_grad(a, sum_to(gy, a.shape()), "sub");
    if (b.requires_grad()) accumulate_grad(b, neg(sum_to(gy, b.shape())), "sub");
  });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = binary<kernels::MulOp>("mul", a, b);
  record("mul", {a, b}, y, {a, b}, [a, b](const Tensor& gy) {
    if (a.requires_grad()) accumulate_grad(a, sum_to(mul(gy, b), a.shape()), "mul");
    if (b.requires_grad()) accumulate_grad(b, sum_to(mul(gy, a), b.shape()), "mul");
  });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = binary<kernels::DivOp>("div", a, b);
  record("div", {a, b}, y, {a, b}, [a, b](const Tensor& gy) {
    if (a.requires_grad()) accumulate_grad(a, sum_to(div(gy, b), a.shape()), "div");
    if (b.requires_grad()) accumulate_grad(b, neg(sum_to(div(mul(gy, a), mul(b, b)), b.shape())), "div");
  });
  return y;
}

}  // namespace tg
