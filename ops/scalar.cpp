// A tensor and a plain number: add_scalar, mul_scalar, and neg as a composition.
//   forward : y = x + s                y = x·s              y = −x = x·(−1)
//   backward: gx += gy                 gx += gy·s           (neg: mul_scalar's, no code of its own)
//   saves   : nothing; s lives in the closure.
// s is rounded to the tensor's dtype once, so a float32 tensor computes x + float(s).
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void add_scalar_forward(const T* x, T* y, std::int64_t n, std::type_identity_t<T> s) {
  using B = xsimd::batch<T>;
  const B sb(s);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    (B::load_unaligned(x + i) + sb).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = x[i] + s;
}

template <class T>
void mul_scalar_forward(const T* x, T* y, std::int64_t n, std::type_identity_t<T> s) {
  using B = xsimd::batch<T>;
  const B sb(s);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    (B::load_unaligned(x + i) * sb).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = x[i] * s;
}

}  // namespace tg::kernels

namespace tg {

Tensor add_scalar(const Tensor& x, double s) {
  Tensor y = map_unary("add_scalar", x, [s](auto... a) { kernels::add_scalar_forward(a..., s); });
  record("add_scalar", {x}, y, {}, [x](const Tensor& gy) { accumulate_grad(x, gy, "add_scalar"); });
  return y;
}

Tensor mul_scalar(const Tensor& x, double s) {
  Tensor y = map_unary("mul_scalar", x, [s](auto... a) { kernels::mul_scalar_forward(a..., s); });
  record("mul_scalar", {x}, y, {}, [x, s](const Tensor& gy) { accumulate_grad(x, mul_scalar(gy, s), "mul_scalar"); });
  return y;
}

Tensor neg(const Tensor& x) { return mul_scalar(x, -1.0); }  // exact: multiplying by −1 only flips the sign

}  // namespace tg
