// SELU, the scaled exponential linear unit (Klambauer et al. 2017, PAPER.md §1).
//   forward : y = λ·x                 if x > 0
//                 λ·α·(exp(x) − 1)    otherwise
//   backward: gx += gy·λ              if y > 0   (y > 0 exactly when x > 0)
//             gx += gy·(y + λ·α)      otherwise  (λ·α·exp(x) = y + λ·α)
//   saves   : y only; the input is not kept alive.
//   fused   : it runs on every hidden layer of a deep FNN; a composite would make 4 temporaries.
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/constants.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void selu_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B zero(T(0)), lambda(kSeluLambda<T>), lambda_alpha(kSeluLambda<T> * kSeluAlpha<T>);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(x + i);
    xsimd::select(v > zero, lambda * v, lambda_alpha * xsimd::expm1(v)).store_unaligned(y + i);
  }
  for (; i < n; ++i)  // scalar tail, same formula
    y[i] = x[i] > T(0) ? kSeluLambda<T> * x[i] : kSeluLambda<T> * kSeluAlpha<T> * std::expm1(x[i]);
}

template <class T>
void selu_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B zero(T(0)), lambda(kSeluLambda<T>), lambda_alpha(kSeluLambda<T> * kSeluAlpha<T>);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(y + i);
    B slope = xsimd::select(v > zero, lambda, v + lambda_alpha);
    xsimd::fma(B::load_unaligned(gy + i), slope, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (y[i] > T(0) ? kSeluLambda<T> : y[i] + kSeluLambda<T> * kSeluAlpha<T>);
}

}  // namespace tg::kernels

namespace tg {

Tensor selu(const Tensor& x) {
  Tensor y = map_unary("selu", x, [](auto... a) { kernels::selu_forward(a...); }, 8);
  record("selu", {x}, y, {y}, [x, y](const Tensor& gy) {
    map_backward("selu", y, gy, grad_of(x), [](auto... a) { kernels::selu_backward(a...); });
  });
  return y;
}

}  // namespace tg
