// Variance over a set of axes, in two passes for accuracy (no E[x²] − E[x]² cancellation).
//   forward : m = mean(x), y = Σ (x − m)² / (n − ddof)     ddof = 1 when unbiased, else 0
//   backward: gx += gy · 2(x − m) / (n − ddof)             (the path through m sums to zero)
//   saves   : m, one element per output; x is the record's input anyway.
// Both passes and the backward walk x with the reduction plan of sum (Note [Reduction plans]),
// so every axis set works and the sums are deterministic like sum's.
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "tensor/op_scope.h"
#include "autograd/tape.h"
#include "ops/reduce.h"
#include "ops/reduce_plan.h"

namespace tg::kernels {

/// d[i] = (x[i] − m[i])² (kScalarMean: m[0] for every i).
template <bool kScalarMean, class T>
void squared_deviation(const T* x, const T* m, T* d, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B v = B::load_unaligned(x + i) - (kScalarMean ? B(m[0]) : B::load_unaligned(m + i));
    (v * v).store_unaligned(d + i);
  }
  for (; i < n; ++i) {
    const T v = x[i] - m[kScalarMean ? 0 : i];
    d[i] = v * v;
  }
}

/// gx[i] += c · (x[i] − m[i]) · gy[i] (kScalar: m[0] and gy[0] for every i).
template <bool kScalar, class T>
void var_backward(const T* x, const T* m, const T* gy, T c, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B mv = kScalar ? B(m[0]) : B::load_unaligned(m + i);
    const B g = kScalar ? B(c * gy[0]) : B(c) * B::load_unaligned(gy + i);
    xsimd::fma(B::load_unaligned(x + i) - mv, g, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += (x[i] - m[kScalar ? 0 : i]) * (c * gy[kScalar ? 0 : i]);
}

}  // namespace tg::kernels

namespace tg {

Tensor var(const Tensor& x, const std::vector<int>& axes, bool unbiased, bool keepdim) {
  const std::uint32_t mask = reduce_axis_mask(x, axes, "var");
  OpScope scope("var");  // the profiler charges the two inner sums to var, not to sum
  const ReducePlan plan = make_reduce_plan(x.shape(), mask, keepdim);
  const double divisor = static_cast<double>(plan.count) - (unbiased ? 1.0 : 0.0);  // 0 gives NaN, as in NumPy
  const Tensor m = sum_over(x, plan, 1.0 / static_cast<double>(plan.count));
  Tensor deviation = empty_like(x);
  dispatch(x.dtype(), "var", [&]<class T>() {
    const T* xd = x.data<T>();
    const T* md = m.data<T>();
    T* dd = deviation.data<T>();
    broadcast_rows(plan, x.numel(), [&](std::int64_t xo, std::int64_t mo, std::int64_t length, bool last_reduced) {
      if (last_reduced)
        kernels::squared_deviation<true>(xd + xo, md + mo, dd + xo, length);
      else
        kernels::squared_deviation<false>(xd + xo, md + mo, dd + xo, length);
    });
  });
  Tensor y = sum_over(deviation, plan, 1.0 / divisor);
  record("var", {x}, y, {m}, [x, m, mask, divisor](const Tensor& gy) {
    const ReducePlan plan = make_reduce_plan(x.shape(), mask, false);  // keepdim does not change the walk
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "var", [&]<class T>() {
      const T* xd = x.data<T>();
      const T* md = m.data<T>();
      const T* g = gy.data<T>();
      T* d = gx.data<T>();
      const T c = static_cast<T>(2.0 / divisor);
      broadcast_rows(plan, x.numel(), [&](std::int64_t xo, std::int64_t yo, std::int64_t length, bool last_reduced) {
        if (last_reduced)
          kernels::var_backward<true>(xd + xo, md + yo, g + yo, c, d + xo, length);
        else
          kernels::var_backward<false>(xd + xo, md + yo, g + yo, c, d + xo, length);
      });
    });
  });
  return y;
}

}  // namespace tg
