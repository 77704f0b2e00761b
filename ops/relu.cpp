// Rectified linear unit.
//   forward : y = max(x, 0)
//   backward: gx += gy  where y > 0   (y > 0 exactly when x > 0)
//   saves   : y
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Relu {
  static constexpr const char* name = "relu";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 1;
  template <class B> B forward(const B& x) const { return xsimd::select(x > B(0), x, B(0)); }
  template <class B> B derivative(const B& y) const { return xsimd::select(y > B(0), B(1), B(0)); }
};
TG_UNARY_KERNELS(Relu)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor relu(const Tensor& x) { return unary_op(x, kernels::Relu{}); }
}  // namespace tg
#endif
