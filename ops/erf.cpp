// erf and erfc, the Gauss error function and its complement.
//   forward : y = erf x = (2/√π)·∫₀ˣ e^(−t²) dt          y = erfc x = 1 − erf x
//   backward: gx += gy·(2/√π)·e^(−x²)                     gx −= gy·(2/√π)·e^(−x²)
//   saves   : x
// float64 calls libm's std::erf / std::erfc one element at a time. xsimd 8.1's double versions
// lose accuracy: erfc is off by up to 4e-12 relative for x in [2, 3] and by 6e-9 near x = 26,
// erf by 7.5e-15 near |x| = 2.2, while libm stays within a few ulp — and erfc's tail is what
// the SELU moment formulas (PAPER.md §3) evaluate. float32 uses xsimd: at most 2.5e-7 absolute
// error (erfc's relative error grows to ~5e-6 in its far tail, x > 3).
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/map.h"

namespace tg {
namespace {
template <class T> inline constexpr T kTwoOverSqrtPi = T(1.1283791670955125738961589031215452L);
}  // namespace
}  // namespace tg

namespace tg::kernels {

template <class T>
void erf_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  if constexpr (std::is_same_v<T, float>)
    for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
      xsimd::erf(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::erf(x[i]);  // the scalar tail; all of float64 (see above)
}

template <class T>
void erfc_forward(const T* x, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  if constexpr (std::is_same_v<T, float>)
    for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
      xsimd::erfc(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::erfc(x[i]);
}

// gx += gy·sign·(2/√π)·e^(−x²), sign = +1 for erf and −1 for erfc.
template <class T>
void erf_backward(const T* x, const T* gy, T* gx, std::int64_t n, std::type_identity_t<T> sign) {
  using B = xsimd::batch<T>;
  const T scale = sign * kTwoOverSqrtPi<T>;
  const B sb(scale);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B v = B::load_unaligned(x + i);
    B slope = sb * xsimd::exp(-(v * v));
    xsimd::fma(B::load_unaligned(gy + i), slope, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += gy[i] * (scale * std::exp(-(x[i] * x[i])));
}

}  // namespace tg::kernels

namespace tg {

Tensor erf(const Tensor& x) {
  Tensor y = map_unary("erf", x, [](auto... a) { kernels::erf_forward(a...); }, 16);
  record("erf", {x}, y, {x}, [x](const Tensor& gy) {
    map_backward("erf", x, gy, grad_of(x), [](auto... a) { kernels::erf_backward(a..., 1); }, 8);
  });
  return y;
}

Tensor erfc(const Tensor& x) {
  Tensor y = map_unary("erfc", x, [](auto... a) { kernels::erfc_forward(a...); }, 16);
  record("erfc", {x}, y, {x}, [x](const Tensor& gy) {
    map_backward("erfc", x, gy, grad_of(x), [](auto... a) { kernels::erf_backward(a..., -1); }, 8);
  });
  return y;
}

}  // namespace tg
