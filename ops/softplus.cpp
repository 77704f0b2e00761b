// Softplus, a smooth ReLU.
//   forward : y = log(1 + eˣ)       computed as max(x, 0) + log1p(e^(−|x|)), which cannot overflow
//   backward: gx += gy · σ(x)       σ(x) = 1/(1 + e⁻ˣ)
//   saves   : x
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Softplus {
  static constexpr const char* name = "softplus";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 16;
  template <class B> B forward(const B& x) const { return xsimd::max(x, B(0)) + xsimd::log1p(xsimd::exp(-xsimd::abs(x))); }
  template <class B> B derivative(const B& x) const { return B(1) / (B(1) + xsimd::exp(-x)); }
};
TG_UNARY_KERNELS(Softplus)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor softplus(const Tensor& x) { return unary_op(x, kernels::Softplus{}); }
}  // namespace tg
#endif
