// Power with a constant exponent.
//   forward : y = xᵖ                 (0ᵖ taken from std::pow, so 0⁰ = 1 and 0⁻¹ = ∞)
//   backward: gx += gy · p·xᵖ⁻¹      (nothing when p = 0: the output is constant, and 0·0⁻¹ would
//                                     make NaN at x = 0)
//   saves   : x
#include <cmath>

#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Pow {
  static constexpr const char* name = "pow";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 16;
  double p;
  template <class B> B forward(const B& x) const { return power(x, p); }
  template <class B> B derivative(const B& x) const { return p == 0 ? B(0) : B(p) * power(x, p - 1); }
  // xsimd::pow is exp(q·log x), which gives NaN at x = 0: take 0^q from std::pow instead.
  template <class B> static B power(const B& x, double q) {
    using T = typename B::value_type;
    return xsimd::select(x == B(0), B(std::pow(T(0), T(q))), xsimd::pow(x, B(T(q))));
  }
};
TG_UNARY_KERNELS(Pow)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor pow(const Tensor& x, double p) { return unary_op(x, kernels::Pow{p}); }
}  // namespace tg
#endif
