// Internal to ops/: the label check and reductions shared by cross_entropy.cpp, nll_loss.cpp and
// mse_loss.cpp. Not part of the public API. (The row kernels softmax and cross_entropy share are
// in softmax_kernels.h.)
#pragma once

#include <cstdint>

#include "autograd/tape.h"
#include "tensor/tensor.h"
#include "ops/loss.h"
#include "ops/reduce.h"

namespace tg {

/// Checks that `input` is a float [batch, classes] tensor and `labels` an int64 [batch] tensor
/// with every value in [0, classes). `what` names the input ("logits", "log_probs") in errors.
/// Defined in nll_loss.cpp.
void check_class_labels(const char* op, const char* what, const Tensor& input, const Tensor& labels);

/// What one output gradient element is multiplied by: 1/count for mean, 1 otherwise.
inline double reduction_scale(Reduction reduction, std::int64_t count) {
  return reduction == Reduction::mean ? 1.0 / static_cast<double>(count) : 1.0;
}

/// Per-item losses reduced as asked, without recording (the caller records one fused op).
inline Tensor reduce_losses(const Tensor& losses, Reduction reduction) {
  if (reduction == Reduction::none) return losses;
  NoGrad no_grad;
  return reduction == Reduction::sum ? sum(losses) : mean(losses);
}

}  // namespace tg
