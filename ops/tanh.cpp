// Hyperbolic tangent.
//   forward : y = tanh x
//   backward: gx += gy · (1 − y²)
//   saves   : y
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Tanh {
  static constexpr const char* name = "tanh";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 8;
  template <class B> B forward(const B& x) const { return xsimd::tanh(x); }
  template <class B> B derivative(const B& y) const { return B(1) - y * y; }
};
TG_UNARY_KERNELS(Tanh)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor tanh(const Tensor& x) { return unary_op(x, kernels::Tanh{}); }
}  // namespace tg
#endif
