// Mean squared error between two tensors of the same shape.
//   forward : e_i = (p_i − t_i)², then reduced (mean over all elements, sum, or none)
//   backward: gp += 2·s·(p − t)·gy,  gt −= 2·s·(p − t)·gy     s = 1/numel (mean), 1 otherwise
//   saves   : nothing: p − t is recomputed from the inputs, which the record keeps anyway.
// The shapes must match exactly: broadcasting a [batch, 1] prediction against a [batch] target
// silently builds a [batch, batch] loss, a classic bug. The reduced sum is fused (no temporary
// of squares) and uses the fixed blocks of Note [Deterministic reductions].
#include <functional>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"
#include "ops/simd.h"

namespace tg::kernels {

/// e[i] = (p[i] − t[i])².
template <class T>
void squared_error(const T* p, const T* t, T* e, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B d = B::load_unaligned(p + i) - B::load_unaligned(t + i);
    (d * d).store_unaligned(e + i);
  }
  for (; i < n; ++i) e[i] = (p[i] - t[i]) * (p[i] - t[i]);
}

/// Σ (p[i] − t[i])² for n ≤ kReduceBlock: two batch accumulators in T, a scalar tail in double.
template <class T>
double squared_error_sum(const T* p, const T* t, std::int64_t n) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = B::size;
  B a0(T(0)), a1(T(0));
  std::int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    const B d0 = B::load_unaligned(p + i) - B::load_unaligned(t + i);
    const B d1 = B::load_unaligned(p + i + W) - B::load_unaligned(t + i + W);
    a0 = xsimd::fma(d0, d0, a0);
    a1 = xsimd::fma(d1, d1, a1);
  }
  double s = static_cast<double>(simd::reduce_add(a0 + a1));
  for (; i < n; ++i) s += static_cast<double>(p[i] - t[i]) * static_cast<double>(p[i] - t[i]);
  return s;
}

/// gx[i] += c · (p[i] − t[i]) · gy[i] (kScalarGrad: gy[0] for every i).
template <bool kScalarGrad, class T>
void mse_backward(const T* p, const T* t, const T* gy, T c, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B g = kScalarGrad ? B(c * gy[0]) : B(c) * B::load_unaligned(gy + i);
    const B d = B::load_unaligned(p + i) - B::load_unaligned(t + i);
    xsimd::fma(d, g, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += (p[i] - t[i]) * (kScalarGrad ? c * gy[0] : c * gy[i]);
}

}  // namespace tg::kernels

namespace tg {

Tensor mse_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  check(prediction.defined() && target.defined(), "mse_loss: prediction is ", describe(prediction), ", target is ",
        describe(target));
  check(prediction.shape() == target.shape(), "mse_loss: prediction is ", describe(prediction), ", target is ",
        describe(target), ": shapes differ");
  check(prediction.dtype() == target.dtype(), "mse_loss: prediction is ", describe(prediction), ", target is ",
        describe(target), ": dtypes differ");
  const std::int64_t n = prediction.numel();
  Tensor y = reduction == Reduction::none ? empty_like(prediction) : empty({}, prediction.dtype());
  dispatch(prediction.dtype(), "mse_loss", [&]<class T>() {
    const T* p = prediction.data<T>();
    const T* t = target.data<T>();
    if (reduction == Reduction::none) {
      parallel_for(n, [&](std::int64_t b, std::int64_t e) { kernels::squared_error(p + b, t + b, y.data<T>() + b, e - b); });
      return;
    }
    const double s = parallel_reduce(
        n, 0.0, [&](std::int64_t b, std::int64_t e) { return kernels::squared_error_sum(p + b, t + b, e - b); },
        std::plus<>());
    y.data<T>()[0] = static_cast<T>(s * reduction_scale(reduction, n));
  });
  record("mse_loss", {prediction, target}, y, {}, [prediction, target, reduction](const Tensor& gy) {
    const std::int64_t n = prediction.numel();
    const double c = 2.0 * reduction_scale(reduction, n);
    dispatch(prediction.dtype(), "mse_loss", [&]<class T>() {
      const T* p = prediction.data<T>();
      const T* t = target.data<T>();
      const T* g = gy.data<T>();
      for (const Tensor& x : {prediction, target}) {
        if (!x.requires_grad()) continue;
        const Tensor gx = grad_of(x);
        T* d = gx.data<T>();
        const T coefficient = static_cast<T>(x.same(prediction) ? c : -c);
        parallel_for(n, [&](std::int64_t b, std::int64_t e) {
          if (reduction == Reduction::none)
            kernels::mse_backward<false>(p + b, t + b, g + b, coefficient, d + b, e - b);
          else
            kernels::mse_backward<true>(p + b, t + b, g, coefficient, d + b, e - b);
        });
      }
    });
  });
  return y;
}

}  // namespace tg
