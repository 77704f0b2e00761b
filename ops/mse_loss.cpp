// Mean squared error between two tensors of the same shape.
//   forward : e_i = (p_i − t_i)², then reduced (mean over all elements, sum, or none)
//   backward: gp += 2·s·(p − t)·gy,  gt −= 2·s·(p − t)·gy     s = 1/numel (mean), 1 otherwise
//   saves   : nothing: p − t is recomputed from the inputs, which the record keeps anyway.
// The shapes must match exactly: broadcasting a [batch, 1] prediction against a [batch] target
// silently builds a [batch, batch] loss, a classic bug. The reduced sum is fused (no temporary
// of squares) and uses the fixed blocks of Note [Deterministic reductions].
#include <functional>

#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"
#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg::kernels {

/// e[i] = (p[i] − t[i])².
template <class Arch, class T>
void squared_error(const T* p, const T* t, T* e, std::int64_t n) {
  simd::map<Arch>(n, [](const auto& a, const auto& b) { return (a - b) * (a - b); }, e, p, t);
}
TG_KERNEL(squared_error)

/// Σ (p[i] − t[i])² for n ≤ kReduceBlock: two batch accumulators in T, a scalar tail in double.
template <class Arch, class T>
double squared_error_sum(const T* p, const T* t, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
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
TG_KERNEL(squared_error_sum)

/// gx[i] += c · (p[i] − t[i]) · gy[i·gy_stride] (gy_stride 0: one gradient for all).
template <class Arch, class T>
void mse_backward(const T* p, const T* t, const T* gy, std::int64_t gy_stride, double c, T* gx, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B cb(static_cast<T>(c));
  simd::map<Arch>(n, [&](const B& a, const B& b, const B& g, const B& acc) { return xsimd::fma(a - b, cb * g, acc); },
                  gx, p, t, simd::Strided<T>{gy, gy_stride}, gx);
}
TG_KERNEL(mse_backward)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {

Tensor mse_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  check(prediction.defined() && target.defined(), "mse_loss: prediction is ", describe(prediction), ", target is ",
        describe(target));
  check(prediction.shape() == target.shape(), "mse_loss: prediction is ", describe(prediction), ", target is ",
        describe(target), ": shapes differ");
  check(prediction.dtype() == target.dtype(), "mse_loss: prediction is ", describe(prediction), ", target is ",
        describe(target), ": dtypes differ");
  check(reduction == Reduction::none || !batch_split(), "mse_loss: a reduced mean squared error over a batch split "
        "across processes is not supported (use Reduction::none and reduce the rows yourself)");
  const std::int64_t n = prediction.numel();
  Tensor y = reduction == Reduction::none ? empty_like(prediction) : empty({}, prediction.dtype());
  dispatch(prediction.dtype(), "mse_loss", [&]<class T>() { simd::with_isa([&]<class Arch>() {
    const T* p = prediction.data<T>();
    const T* t = target.data<T>();
    if (reduction == Reduction::none) {
      parallel_for(n, [&](std::int64_t b, std::int64_t e) {
        kernels::squared_error<Arch>(p + b, t + b, y.data<T>() + b, e - b);
      });
      return;
    }
    const double s = parallel_reduce(
        n, 0.0, [&](std::int64_t b, std::int64_t e) { return kernels::squared_error_sum<Arch>(p + b, t + b, e - b); },
        std::plus<>());
    y.data<T>()[0] = static_cast<T>(s * (reduction == Reduction::mean ? 1.0 / static_cast<double>(n) : 1.0));
  }); });
  record("mse_loss", {prediction, target}, y, {}, [prediction, target, reduction](const Tensor& gy) {
    const std::int64_t n = prediction.numel();
    const double c = 2.0 * (reduction == Reduction::mean ? 1.0 / static_cast<double>(n) : 1.0);
    dispatch(prediction.dtype(), "mse_loss", [&]<class T>() { simd::with_isa([&]<class Arch>() {
      const T* p = prediction.data<T>();
      const T* t = target.data<T>();
      const T* g = gy.data<T>();
      for (const Tensor& x : {prediction, target}) {
        if (!x.requires_grad()) continue;
        const Tensor gx = grad_of(x);
        T* d = gx.data<T>();
        const double coefficient = x.same(prediction) ? c : -c;
        const bool per_element = reduction == Reduction::none;
        parallel_for(n, [&](std::int64_t b, std::int64_t e) {
          kernels::mse_backward<Arch>(p + b, t + b, per_element ? g + b : g, per_element ? 1 : 0, coefficient, d + b,
                                      e - b);
        });
      }
    }); });
  });
  return y;
}

}  // namespace tg
#endif
