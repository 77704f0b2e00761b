// ELU, the exponential linear unit (Clevert et al. 2016) — SELU without the scale λ.
//   forward : y = x                 if x > 0
//                 α·(eˣ − 1)        otherwise
//   backward: gx += gy              if y > 0   (y > 0 exactly when x > 0, because α ≥ 0)
//             gx += gy·(y + α)      otherwise  (α·eˣ = y + α)
//   saves   : y only.
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void elu_forward(const T* x, T* y, std::int64_t n, std::type_identity_t<T> alpha) {
  using B = xsimd::batch<T>;
  const B zero(T(0)), a(alpha);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(x + i);
    xsimd::select(v > zero, v, a * xsimd::expm1(v)).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i]);  // scalar tail, same formula
}

template <class T>
void elu_backward(const T* y, const T* gy, T* gx, std::int64_t n, std::type_identity_t<T> alpha) {
  using B = xsimd::batch<T>;
  const B zero(T(0)), one(T(1)), a(alpha);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(y + i);
    B slope = xsimd::select(v > zero, one, v + a);
    xsimd::fma(B::load_unaligned(gy + i), slope, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (y[i] > T(0) ? T(1) : y[i] + alpha);
}

}  // namespace tg::kernels

namespace tg {

Tensor elu(const Tensor& x, double alpha) {
  check(alpha >= 0, "elu: alpha is ", alpha, " for x ", describe(x), "; it must be >= 0");
  Tensor y = map_unary("elu", x, [alpha](auto... a) { kernels::elu_forward(a..., alpha); }, 8);
  record("elu", {x}, y, {y}, [x, y, alpha](const Tensor& gy) {
    map_backward("elu", y, gy, grad_of(x), [alpha](auto... a) { kernels::elu_backward(a..., alpha); });
  });
  return y;
}

}  // namespace tg
