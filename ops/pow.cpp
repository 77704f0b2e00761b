// Power with a constant exponent.
//   forward : y = xᵖ                   (xsimd::pow, i.e. exp(p·ln|x|) with the sign fixed for
//                                        integer p; x < 0 with non-integer p gives NaN)
//   backward: gx += gy·p·x^(p−1)       (zero when p = 0, even at x = 0)
//   saves   : x
// xsimd 8.1 maps 0^q to 0 for every q, while std::pow gives 0^0 = 1 and 0^q = ∞ for q < 0; the
// kernels take the value at 0 from std::pow so the SIMD body and the scalar tail agree.
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg::kernels {

template <class T>
void pow_forward(const T* x, T* y, std::int64_t n, std::type_identity_t<T> p) {
  using B = xsimd::batch<T>;
  const B zero(T(0)), pb(p), at_zero(std::pow(T(0), p));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(x + i);
    xsimd::select(v == zero, at_zero, xsimd::pow(v, pb)).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = std::pow(x[i], p);  // scalar tail, same formula
}

template <class T>
void pow_backward(const T* x, const T* gy, T* gx, std::int64_t n, std::type_identity_t<T> p) {
  using B = xsimd::batch<T>;
  const T q = p - T(1);
  const B zero(T(0)), pb(p), qb(q), at_zero(std::pow(T(0), q));
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(x + i);
    B slope = pb * xsimd::select(v == zero, at_zero, xsimd::pow(v, qb));
    xsimd::fma(B::load_unaligned(gy + i), slope, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (p * std::pow(x[i], q));
}

}  // namespace tg::kernels

namespace tg {

Tensor pow(const Tensor& x, double p) {
  Tensor y = map_unary("pow", x, [p](auto... a) { kernels::pow_forward(a..., p); }, 16);
  record("pow", {x}, y, {x}, [x, p](const Tensor& gy) {
    Tensor gx = grad_of(x);
    if (p == 0) return;  // constant output; p·x^(−1) would make 0·∞ = NaN at x = 0
    map_backward("pow", x, gy, gx, [p](auto... a) { kernels::pow_backward(a..., p); }, 16);
  });
  return y;
}

}  // namespace tg
