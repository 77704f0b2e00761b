// Natural logarithm.
//   forward : y = ln x            (x < 0 gives NaN, x = 0 gives −∞, as std::log)
//   backward: gx += gy / x
//   saves   : x
#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void log_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::log(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::log(x[i]);  // scalar tail, same formula
}

template <class T>
void log_backward(const T* x, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    (B::load_unaligned(gx + i) + B::load_unaligned(gy + i) / B::load_unaligned(x + i)).store_unaligned(gx + i);
  for (; i < n; ++i) gx[i] += gy[i] / x[i];
}

}  // namespace tg::kernels

namespace tg {

Tensor log(const Tensor& x) {
  Tensor y = map_unary("log", x, [](auto... a) { kernels::log_forward(a...); }, 8);
  record("log", {x}, y, {x}, [x](const Tensor& gy) {
    map_backward("log", x, gy, grad_of(x), [](auto... a) { kernels::log_backward(a...); });
  });
  return y;
}

}  // namespace tg
