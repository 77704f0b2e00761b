// Exponential.
//   forward : y = eˣ
//   backward: gx += gy·y
//   saves   : y only (it is its own derivative).
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Exp {
  static constexpr const char* name = "exp";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 8;
  template <class B> B forward(const B& x) const { return xsimd::exp(x); }
  template <class B> B derivative(const B& y) const { return y; }
};
TG_UNARY_KERNELS(Exp)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor exp(const Tensor& x) { return unary_op(x, kernels::Exp{}); }
}  // namespace tg
#endif
