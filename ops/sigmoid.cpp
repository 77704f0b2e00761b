// Logistic sigmoid.
//   forward : y = 1 / (1 + e⁻ˣ)   (below x ≈ −88 in float32, −709 in float64, e⁻ˣ overflows
//                                  to ∞ and y becomes 0, its limit — never NaN)
//   backward: gx += gy·y·(1 − y)
//   saves   : y only.
//   fused   : as a composite (exp, add_scalar, div) it would keep x and two temporaries alive.
#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void sigmoid_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B one(T(1));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    (one / (one + xsimd::exp(-B::load_unaligned(x + i)))).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = T(1) / (T(1) + std::exp(-x[i]));  // scalar tail, same formula
}

template <class T>
void sigmoid_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B one(T(1));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(y + i);
    xsimd::fma(B::load_unaligned(gy + i), v * (one - v), B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (y[i] * (T(1) - y[i]));
}

}  // namespace tg::kernels

namespace tg {

Tensor sigmoid(const Tensor& x) {
  Tensor y = map_unary("sigmoid", x, [](auto... a) { kernels::sigmoid_forward(a...); }, 8);
  record("sigmoid", {x}, y, {y}, [x, y](const Tensor& gy) {
    map_backward("sigmoid", y, gy, grad_of(x), [](auto... a) { kernels::sigmoid_backward(a...); });
  });
  return y;
}

}  // namespace tg
