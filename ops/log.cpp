// Natural logarithm.
//   forward : y = ln x
//   backward: gx += gy / x
//   saves   : x
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Log {
  static constexpr const char* name = "log";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 8;
  template <class B> B forward(const B& x) const { return xsimd::log(x); }
  template <class B> B derivative(const B& x) const { return B(1) / x; }
};
TG_UNARY_KERNELS(Log)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor log(const Tensor& x) { return unary_op(x, kernels::Log{}); }
}  // namespace tg
#endif
