// Exponential linear unit (Clevert et al. 2016).
//   forward : y = x              if x > 0
//                 α·(eˣ − 1)     otherwise
//   backward: gx += gy            if y > 0
//             gx += gy·(y + α)    otherwise   (α·eˣ = y + α)
//   saves   : y
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Elu {
  static constexpr const char* name = "elu";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 8;
  double alpha;
  template <class B> B forward(const B& x) const {
    return xsimd::select(x > B(0), x, B(alpha) * xsimd::expm1(x));
  }
  template <class B> B derivative(const B& y) const { return xsimd::select(y > B(0), B(1), y + B(alpha)); }
};
TG_UNARY_KERNELS(Elu)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor elu(const Tensor& x, double alpha) {
  check(alpha >= 0, "elu: alpha is ", alpha, " for x ", describe(x), "; it must be >= 0");
  return unary_op(x, kernels::Elu{alpha});
}
}  // namespace tg
#endif
