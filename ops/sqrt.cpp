// Square root.
//   forward : y = √x              (x < 0 gives NaN, as std::sqrt)
//   backward: gx += gy / (2y)     (infinite at x = 0, where √ has a vertical tangent)
//   saves   : y
#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void sqrt_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::sqrt(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::sqrt(x[i]);  // scalar tail, same formula
}

template <class T>
void sqrt_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B half(T(0.5));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B slope = half / B::load_unaligned(y + i);
    xsimd::fma(B::load_unaligned(gy + i), slope, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (T(0.5) / y[i]);
}

}  // namespace tg::kernels

namespace tg {

Tensor sqrt(const Tensor& x) {
  Tensor y = map_unary("sqrt", x, [](auto... a) { kernels::sqrt_forward(a...); }, 4);
  record("sqrt", {x}, y, {y}, [x, y](const Tensor& gy) {
    map_backward("sqrt", y, gy, grad_of(x), [](auto... a) { kernels::sqrt_backward(a...); });
  });
  return y;
}

}  // namespace tg
