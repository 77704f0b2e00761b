// Square.
//   forward : y = x·x          (exactly rounded; pow(x, 2) would go through exp(2·ln|x|))
//   backward: gx += gy · 2x
//   saves   : x
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Square {
  static constexpr const char* name = "square";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 1;
  template <class B> B forward(const B& x) const { return x * x; }
  template <class B> B derivative(const B& x) const { return x + x; }
};
TG_UNARY_KERNELS(Square)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor square(const Tensor& x) { return unary_op(x, kernels::Square{}); }
}  // namespace tg
#endif
