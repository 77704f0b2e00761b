// Gradient clipping, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_: call between
// backward() and the optimizer's step(). Parameters without a gradient are skipped.
#pragma once

#include <limits>
#include <vector>

#include "tensor/tensor.h"

namespace tg::optim {

/// PyTorch's norm_type for the largest absolute value.
inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

/// Scales every gradient in place by min(1, max_norm / (total + 1e-6)), where total is the
/// p-norm (p = norm_type ≥ 1, or kInfNorm) of all the gradients together, as if they were one
/// vector. Returns total, computed in double in parameter order (the same bits for the same
/// gradients, whatever the thread count).
/// A non-finite total (some gradient holds inf or NaN) is returned as it is and the gradients
/// are left unchanged — PyTorch would scale them by 0 or NaN and hide the cause — so the caller
/// can skip the step; with error_if_nonfinite it is a tg::Error naming the first such parameter.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                      bool error_if_nonfinite = false);

/// Clamps every gradient element into [−clip_value, clip_value] in place; NaN stays NaN.
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace tg::optim
