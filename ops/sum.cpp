// sum and mean over all elements or a set of axes.
//   forward : y[j] = scale · Σ_{i ↦ j} x[i]        scale = 1 (sum) or 1/count (mean)
//   backward: gx[i] += scale · gy[j]              (a broadcast of gy back to x's shape)
//   saves   : nothing; the reduced axes are captured as a bit mask and the plan rebuilt from it.
// The forward is the reduction engine's sum_over (ops/reduction.h): contiguous rows in double,
// columns in row order, the same bits for any thread count.
// An empty axes list reduces nothing (as NumPy's axis=()), so sum(x, {}) is a copy of x.
#include "autograd/tape.h"
#include "ops/reduce.h"
#include "ops/reduction.h"
#include "tensor/op_scope.h"

namespace tg::kernels {

/// gx[i] += scale · gy[i·gy_stride] — the backward of a sum (gy_stride 0: one value for all).
template <class Arch, class T>
void sum_backward(const T* gy, std::int64_t gy_stride, double scale, T* gx, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B s(static_cast<T>(scale));
  simd::map<Arch>(n, [&](const B& g, const B& acc) { return xsimd::fma(s, g, acc); }, gx,
                  simd::Strided<T>{gy, gy_stride}, gx);
}
TG_KERNEL(sum_backward)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
namespace {

Tensor reduce_sum(const Tensor& x, std::uint32_t mask, bool keepdim, bool mean, const char* op) {
  const ReducePlan plan = make_reduce_plan(x.shape(), mask, keepdim);
  const double scale = mean ? 1.0 / static_cast<double>(plan.count) : 1.0;
  OpScope scope(op);  // sum_over's kernel runs as "sum"; the profiler charges it to `op`
  Tensor y = sum_over(x, plan, scale);
  record(op, {x}, y, {}, [x, mask, scale, op](const Tensor& gy) {
    const ReducePlan plan = make_reduce_plan(x.shape(), mask, false);  // keepdim does not change the walk
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), op, [&]<class T>() {
      simd::with_isa([&]<class Arch>() {
        const T* g = gy.data<T>();
        T* d = gx.data<T>();
        broadcast_rows(plan, x.numel(), [&](std::int64_t xo, std::int64_t yo, std::int64_t length, bool last_reduced) {
          kernels::sum_backward<Arch>(g + yo, last_reduced ? 0 : 1, scale, d + xo, length);
        });
      });
    });
  });
  return y;
}

// Every axis of x, after the checks reduce_axis_mask makes.
std::uint32_t all_axes(const Tensor& x, const char* op) {
  reduce_axis_mask(x, {}, op);
  return (std::uint32_t{1} << x.dim()) - 1;
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_sum(x, all_axes(x, "sum"), false, false, "sum"); }
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce_sum(x, reduce_axis_mask(x, axes, "sum"), keepdim, false, "sum");
}
Tensor mean(const Tensor& x) { return reduce_sum(x, all_axes(x, "mean"), false, true, "mean"); }
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce_sum(x, reduce_axis_mask(x, axes, "mean"), keepdim, true, "mean");
}

}  // namespace tg
#endif
