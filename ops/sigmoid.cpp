// Logistic sigmoid.
//   forward : y = 1 / (1 + e⁻ˣ)
//   backward: gx += gy · y(1 − y)
//   saves   : y
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Sigmoid {
  static constexpr const char* name = "sigmoid";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 8;
  template <class B> B forward(const B& x) const { return B(1) / (B(1) + xsimd::exp(-x)); }
  template <class B> B derivative(const B& y) const { return y * (B(1) - y); }
};
TG_UNARY_KERNELS(Sigmoid)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor sigmoid(const Tensor& x) { return unary_op(x, kernels::Sigmoid{}); }
}  // namespace tg
#endif
