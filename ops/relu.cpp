// Rectified linear unit.
//   forward : y = max(x, 0)
//   backward: gx += gy   where y > 0 (y > 0 exactly when x > 0; the slope at 0 is taken as 0)
//   saves   : y only.
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void relu_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B zero(T(0));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(x + i);
    xsimd::select(v > zero, v, zero).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);  // scalar tail, same formula
}

template <class T>
void relu_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B zero(T(0));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B g = xsimd::select(B::load_unaligned(y + i) > zero, B::load_unaligned(gy + i), zero);
    (B::load_unaligned(gx + i) + g).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += y[i] > T(0) ? gy[i] : T(0);
}

}  // namespace tg::kernels

namespace tg {

Tensor relu(const Tensor& x) {
  Tensor y = map_unary("relu", x, [](auto... a) { kernels::relu_forward(a...); });
  record("relu", {x}, y, {y}, [x, y](const Tensor& gy) {
    map_backward("relu", y, gy, grad_of(x), [](auto... a) { kernels::relu_backward(a...); });
  });
  return y;
}

}  // namespace tg
