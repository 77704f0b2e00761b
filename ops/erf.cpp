// erf and erfc, the Gauss error function and its complement.
//   forward : y = erf x = (2/√π)·∫₀ˣ e^(−t²) dt          y = erfc x = 1 − erf x
//   backward: gx += gy·(2/√π)·e^(−x²)                     gx −= gy·(2/√π)·e^(−x²)
//   saves   : x
// float64 calls libm's std::erf / std::erfc one lane at a time. xsimd 8.1's double versions
// lose accuracy: erfc is off by up to 4e-12 relative for x in [2, 3] and by 6e-9 near x = 26,
// erf by 7.5e-15 near |x| = 2.2, while libm stays within a few ulp — and erfc's tail is what
// the SELU moment formulas (docs/paper.md §4) evaluate. float32 uses xsimd: at most 2.5e-7
// absolute error (erfc's relative error grows to ~5e-6 in its far tail, x > 3).
#include <cmath>
#include <type_traits>

#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

template <class T> inline constexpr T kTwoOverSqrtPi = T(1.1283791670955125738961589031215452L);

/// f applied lane by lane through libm (the float64 path above).
template <class B, class F>
B per_lane(const B& x, F f) {
  alignas(64) typename B::value_type lanes[B::size];
  x.store_aligned(lanes);
  for (auto& v : lanes) v = f(v);
  return B::load_aligned(lanes);
}

/// d/dx erf x = (2/√π)·e^(−x²); erfc's is its negative.
template <class B>
B erf_slope(const B& x) {
  using T = typename B::value_type;
  return B(kTwoOverSqrtPi<T>) * xsimd::exp(-(x * x));
}

struct Erf {
  static constexpr const char* name = "erf";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 16;
  template <class B> B forward(const B& x) const {
    if constexpr (std::is_same_v<typename B::value_type, double>) return per_lane(x, [](double v) { return std::erf(v); });
    else return xsimd::erf(x);
  }
  template <class B> B derivative(const B& x) const { return erf_slope(x); }
};
TG_UNARY_KERNELS(Erf)

struct Erfc {
  static constexpr const char* name = "erfc";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 16;
  template <class B> B forward(const B& x) const {
    if constexpr (std::is_same_v<typename B::value_type, double>) return per_lane(x, [](double v) { return std::erfc(v); });
    else return xsimd::erfc(x);
  }
  template <class B> B derivative(const B& x) const { return -erf_slope(x); }
};
TG_UNARY_KERNELS(Erfc)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor erf(const Tensor& x) { return unary_op(x, kernels::Erf{}); }
Tensor erfc(const Tensor& x) { return unary_op(x, kernels::Erfc{}); }
}  // namespace tg
#endif
