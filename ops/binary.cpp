// add, sub, mul, div with NumPy broadcasting — one family sharing one broadcast loop — and
// sum_to, the backward of broadcasting.
//   forward : y = a ⊕ b, both stretched to broadcast_shapes(a, b)
//   backward: add  ga += sum_to(gy)        gb += sum_to(gy)
//             sub  ga += sum_to(gy)        gb −= sum_to(gy)
//             mul  ga += sum_to(gy·b)      gb += sum_to(gy·a)
//             div  ga += sum_to(gy / b)    gb −= sum_to(gy·a / b²)
//   saves   : add and sub nothing; mul and div both inputs.
// The backward closures are compositions of ops (they run under NoGrad); sum_to reduces each
// gradient to its input's shape with the reduction engine (ops/reduction.h), so gradients are
// bit-identical for any number of threads (Note [Deterministic reductions] in tensor/parallel.h).
#include <algorithm>
#include <cstdint>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/reduction.h"
#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg::kernels {

// The four operations on batches.
struct AddOp { template <class V> static V apply(const V& a, const V& b) { return a + b; } };
struct SubOp { template <class V> static V apply(const V& a, const V& b) { return a - b; } };
struct MulOp { template <class V> static V apply(const V& a, const V& b) { return a * b; } };
struct DivOp { template <class V> static V apply(const V& a, const V& b) { return a / b; } };

// y[i] = a[i·sa] ⊕ b[i·sb] for i < n, where a stride of 0 repeats one value and 1 walks the array.
template <class Arch, class Op, class T>
void binary_forward(const T* a, std::int64_t sa, const T* b, std::int64_t sb, T* y, std::int64_t n) {
  simd::map<Arch>(n, [](const auto& va, const auto& vb) { return Op::apply(va, vb); }, y, simd::Strided<T>{a, sa},
                  simd::Strided<T>{b, sb});
}
TG_KERNEL(binary_forward, AddOp)
TG_KERNEL(binary_forward, SubOp)
TG_KERNEL(binary_forward, MulOp)
TG_KERNEL(binary_forward, DivOp)

}  // namespace tg::kernels

#if TG_OP_PASS
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
  check(a.defined() && b.defined(), op, ": a is ", describe(a), ", b is ", describe(b), ": both must be defined");
  check(a.dtype() == b.dtype(), op, ": a is ", describe(a), ", b is ", describe(b), ": dtypes differ");
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor y = empty(shape, a.dtype());
  const std::int64_t n = y.numel(), na = a.numel(), nb = b.numel();
  if (n == 0) return y;
  dispatch(a.dtype(), op, [&]<class T>() { simd::with_isa([&]<class Arch>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* py = y.data<T>();
    if ((na == n || na == 1) && (nb == n || nb == 1)) {
      // Same shape, or one side is a single value: one strided pass.
      const std::int64_t sa = na == n, sb = nb == n;
      parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
        kernels::binary_forward<Arch, Op>(pa + begin * sa, sa, pb + begin * sb, sb, py + begin, end - begin);
      });
    } else if ((na == n && is_suffix(b.shape(), shape)) || (nb == n && is_suffix(a.shape(), shape))) {
      // One side repeats with period m along the flat output: walk it period by period.
      const std::int64_t m = na == n ? nb : na;
      parallel_for(n, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end;) {
          const std::int64_t j = i % m, len = std::min(end - i, m - j);
          kernels::binary_forward<Arch, Op>(pa + (na == n ? i : j), 1, pb + (nb == n ? i : j), 1, py + i, len);
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
          kernels::binary_forward<Arch, Op>(pa + offset_a, stride_a[d - 1], pb + offset_b, stride_b[d - 1], py + row * cols,
                                      cols);
        }
      }, cols);
    }
  }); });
  return y;
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
  const std::uint32_t mask = broadcast_mask(g.shape(), shape, "sum_to");
  if (shape.numel() == g.numel()) return g.detach().reshape(shape);  // only 1s added or dropped: a view
  // The reduction engine, keeping the summed axes as 1s, then viewed as `shape` (which may
  // have fewer leading axes).
  return sum_over(g, make_reduce_plan(g.shape(), mask, /*keepdim=*/true), 1.0).reshape(shape);
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
#endif
