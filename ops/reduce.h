// Reductions. Float sums use a fixed block partition combined in order
// (Note [Deterministic reductions] in tensor/parallel.h): same bits for any thread count.
#pragma once

#include <vector>

#include "tensor/tensor.h"

namespace tg {

Tensor sum(const Tensor& x);                                                  ///< Σ all → shape []
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim = false);
Tensor mean(const Tensor& x);                                                 ///< Σ/n → shape []
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim = false);
/// Variance over axes; unbiased divides by n − 1, else by n.
Tensor var(const Tensor& x, const std::vector<int>& axes, bool unbiased = false, bool keepdim = false);
Tensor max(const Tensor& x);                                                  ///< largest element → shape []
/// Largest element along one axis; the gradient goes to the first maximal element.
Tensor max(const Tensor& x, int axis, bool keepdim = false);
/// Index of the first maximal element along one axis (int64, no gradient).
Tensor argmax(const Tensor& x, int axis);

}  // namespace tg
