// SELU, the scaled exponential linear unit (Klambauer et al. 2017; constants in docs/paper.md §1).
//   forward : y = λ·x                 if x > 0
//                 λ·α·(exp(x) − 1)    otherwise
//   backward: gx += gy·λ              if y > 0   (y > 0 exactly when x > 0)
//             gx += gy·(y + λ·α)      otherwise  (λ·α·exp(x) = y + λ·α)
//   saves   : y only; the input is not kept alive.
//   fused   : it runs on every hidden layer of a deep FNN; a composite would make 4 temporaries.
#include "ops/constants.h"
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Selu {
  static constexpr const char* name = "selu";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 8;
  template <class B> B forward(const B& x) const {
    using T = typename B::value_type;
    return xsimd::select(x > B(0), B(kSeluLambda<T>) * x, B(kSeluLambda<T> * kSeluAlpha<T>) * xsimd::expm1(x));
  }
  template <class B> B derivative(const B& y) const {
    using T = typename B::value_type;
    return xsimd::select(y > B(0), B(kSeluLambda<T>), y + B(kSeluLambda<T> * kSeluAlpha<T>));
  }
};
TG_UNARY_KERNELS(Selu)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor selu(const Tensor& x) { return unary_op(x, kernels::Selu{}); }
}  // namespace tg
#endif
