// Rectified linear unit.
//   forward : y = max(x, 0)
//   backward: gx += gy  where y > 0   (y > 0 exactly when x > 0)
//   saves   : y
#include "ops/elementwise.h"
#include "ops/activations.h"

namespace tg::kernels {

TG_UNARY_KERNELS(Relu)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor relu(const Tensor& x) { return unary_op(x, kernels::Relu{}); }
}  // namespace tg
#endif
