// Square root.
//   forward : y = √x
//   backward: gx += gy · 1/(2y)
//   saves   : y
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Sqrt {
  static constexpr const char* name = "sqrt";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 4;
  template <class B> B forward(const B& x) const { return xsimd::sqrt(x); }
  template <class B> B derivative(const B& y) const { return B(0.5) / y; }
};
TG_UNARY_KERNELS(Sqrt)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor sqrt(const Tensor& x) { return unary_op(x, kernels::Sqrt{}); }
}  // namespace tg
#endif
