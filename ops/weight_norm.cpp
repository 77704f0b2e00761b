// Weight normalisation (Salimans & Kingma 2016): each row of w is a direction v times a length g.
//   forward : w_ij = g_i · v_ij / ‖v_i‖,  ‖v_i‖ = sqrt(Σ_j v_ij²)   for v [out, in], g [out]
//   backward: the composition's (square, sum, sqrt, div, mul), i.e.
//             gg_i += Σ_j gw_ij·v_ij / ‖v_i‖,   gv_ij += g_i/‖v_i‖ · (gw_ij − v_ij·Σ_k gw_ik·v_ik / ‖v_i‖²)
//   saves   : what its five parts save (v, the row norms and the scale g/‖v‖ of each row).
//   composed: it runs once per layer and step on the weights, O(out·in), beside the layer's
//             O(batch·out·in) matmul; five small records are not worth a kernel (habit 5).
// A row of v that is all zeros has no direction: its w is NaN, as in the paper (no epsilon).
#include "ops/elementwise.h"
#include "ops/norm.h"
#include "ops/reduce.h"

namespace tg {

Tensor weight_norm(const Tensor& v, const Tensor& g) {
  check(v.defined() && g.defined(), "weight_norm: v and g must be defined tensors");
  check(v.dim() == 2 && g.shape() == Shape{v.size(0)}, "weight_norm: v is ", v.shape(), ", g is ", g.shape(),
        ": expected v [out, in] and g [out]");
  check(v.dtype() == g.dtype(), "weight_norm: v is ", describe(v), ", g is ", describe(g), ": dtypes differ");
  const Tensor norm = sqrt(sum(square(v), {1}, /*keepdim=*/true));  // [out, 1]
  return v * (g.reshape({v.size(0), 1}) / norm);
}

}  // namespace tg
