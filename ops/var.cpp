// Variance over a set of axes, in two passes for accuracy (no E[x²] − E[x]² cancellation).
//   forward : m = mean(x), y = Σ (x − m)² / (n − ddof)     ddof = 1 when unbiased, else 0
//   backward: gx += gy · 2(x − m) / (n − ddof)             (the path through m sums to zero)
//   saves   : m, one element per output; x is the record's input anyway.
// Both passes and the backward walk x with the reduction plan of sum (Note [Reduction plans]),
// so every axis set works and the sums are deterministic like sum's.
#include "autograd/tape.h"
#include "ops/reduce.h"
#include "ops/reduction.h"
#include "tensor/op_scope.h"
#include "tensor/parallel.h"

namespace tg::kernels {

/// d[i] = (x[i] − m[i·m_stride])² (m_stride 0: one mean for all).
template <class Arch, class T>
void squared_deviation(const T* x, const T* m, std::int64_t m_stride, T* d, std::int64_t n) {
  simd::map<Arch>(n, [](const auto& v, const auto& mean) { return (v - mean) * (v - mean); }, d, x,
                  simd::Strided<T>{m, m_stride});
}
TG_KERNEL(squared_deviation)

/// gx[i] += c · (x[i] − m[j]) · gy[j], j = i·stride (stride 0: one mean and one gradient for all).
template <class Arch, class T>
void var_backward(const T* x, const T* m, const T* gy, std::int64_t stride, double c, T* gx, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B cb(static_cast<T>(c));
  simd::map<Arch>(n, [&](const B& v, const B& mean, const B& g, const B& acc) { return xsimd::fma(v - mean, cb * g, acc); },
                  gx, x, simd::Strided<T>{m, stride}, simd::Strided<T>{gy, stride}, gx);
}
TG_KERNEL(var_backward)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {

Tensor var(const Tensor& x, const std::vector<int>& axes, bool unbiased, bool keepdim) {
  const std::uint32_t mask = reduce_axis_mask(x, axes, "var");
  OpScope scope("var");  // the profiler charges the two inner sums to var, not to sum
  const ReducePlan plan = make_reduce_plan(x.shape(), mask, keepdim);
  const double divisor = static_cast<double>(plan.count) - (unbiased ? 1.0 : 0.0);  // 0 gives NaN, as in NumPy
  const Tensor m = sum_over(x, plan, 1.0 / static_cast<double>(plan.count));
  Tensor deviation = empty_like(x);
  dispatch(x.dtype(), "var", [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      const T* xd = x.data<T>();
      const T* md = m.data<T>();
      T* dd = deviation.data<T>();
      broadcast_rows(plan, x.numel(), [&](std::int64_t xo, std::int64_t mo, std::int64_t length, bool last_reduced) {
        kernels::squared_deviation<Arch>(xd + xo, md + mo, last_reduced ? 0 : 1, dd + xo, length);
      });
    });
  });
  Tensor y = sum_over(deviation, plan, 1.0 / divisor);
  record("var", {x}, y, {m}, [x, m, mask, divisor](const Tensor& gy) {
    const ReducePlan plan = make_reduce_plan(x.shape(), mask, false);  // keepdim does not change the walk
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "var", [&]<class T>() {
      simd::with_isa([&]<class Arch>() {
        const T* xd = x.data<T>();
        const T* md = m.data<T>();
        const T* g = gy.data<T>();
        T* d = gx.data<T>();
        broadcast_rows(plan, x.numel(), [&](std::int64_t xo, std::int64_t yo, std::int64_t length, bool last_reduced) {
          kernels::var_backward<Arch>(xd + xo, md + yo, g + yo, last_reduced ? 0 : 1, 2.0 / divisor, d + xo, length);
        });
      });
    });
  });
  return y;
}

}  // namespace tg
#endif
