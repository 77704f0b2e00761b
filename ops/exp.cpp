// Exponential.
//   forward : y = eˣ
//   backward: gx += gy·y
//   saves   : y only (it is its own derivative).
#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void exp_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::exp(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::exp(x[i]);  // scalar tail, same formula
}

template <class T>
void exp_backward(const T* y, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::fma(B::load_unaligned(gy + i), B::load_unaligned(y + i), B::load_unaligned(gx + i)).store_unaligned(gx + i);
  for (; i < n; ++i) gx[i] += gy[i] * y[i];
}

}  // namespace tg::kernels

namespace tg {

Tensor exp(const Tensor& x) {
  Tensor y = map_unary("exp", x, [](auto... a) { kernels::exp_forward(a...); }, 8);
  record("exp", {x}, y, {y}, [x, y](const Tensor& gy) {
    map_backward("exp", y, gy, grad_of(x), [](auto... a) { kernels::exp_backward(a...); });
  });
  return y;
}

}  // namespace tg
