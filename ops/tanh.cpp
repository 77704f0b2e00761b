// Hyperbolic tangent.
//   forward : y = tanh x
//   backward: gx += gy·(1 − y²)
//   saves   : y only.
#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void tanh_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::tanh(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::tanh(x[i]);  // scalar tail, same formula
}

template <class T>
void tanh_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B one(T(1));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(y + i);
    xsimd::fma(B::load_unaligned(gy + i), one - v * v, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (T(1) - y[i] * y[i]);
}

}  // namespace tg::kernels

namespace tg {

Tensor tanh(const Tensor& x) {
  Tensor y = map_unary("tanh", x, [](auto... a) { kernels::tanh_forward(a...); }, 8);
  record("tanh", {x}, y, {y}, [x, y](const Tensor& gy) {
    map_backward("tanh", y, gy, grad_of(x), [](auto... a) { kernels::tanh_backward(a...); });
  });
  return y;
}

}  // namespace tg
