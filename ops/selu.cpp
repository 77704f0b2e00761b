// SELU, the scaled exponential linear unit (Klambauer et al. 2017; constants in docs/paper.md §1).
//   forward : y = λ·x                 if x > 0
//                 λ·α·(exp(x) − 1)    otherwise
//   backward: gx += gy·λ              if y > 0   (y > 0 exactly when x > 0)
//             gx += gy·(y + λ·α)      otherwise  (λ·α·exp(x) = y + λ·α)
//   saves   : y only; the input is not kept alive.
//   fused   : it runs on every hidden layer of a deep FNN; a composite would make 4 temporaries.
#include "ops/elementwise.h"
#include "ops/activations.h"

namespace tg::kernels {

TG_UNARY_KERNELS(Selu)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor selu(const Tensor& x) { return unary_op(x, kernels::Selu{}); }
}  // namespace tg
#endif
