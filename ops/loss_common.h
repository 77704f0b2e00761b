// Internal to ops/: the label check and reductions shared by cross_entropy.cpp, nll_loss.cpp and
// mse_loss.cpp. Not part of the public API. (The row kernels softmax and cross_entropy share are
// in softmax_kernels.h.)
#pragma once

#include <cstdint>

#include "autograd/tape.h"
#include "tensor/tensor.h"
#include "ops/loss.h"
#include "ops/batch_split.h"
#include "ops/reduce.h"

namespace tg {

/// Checks that `input` is a float [batch, classes] tensor and `labels` an int64 [batch] tensor
/// with every value in [0, classes). `what` names the input ("logits", "log_probs") in errors.
/// Defined in nll_loss.cpp.
void check_class_labels(const char* op, const char* what, const Tensor& input, const Tensor& labels);

/// What one output gradient element of a loss over `rows` rows is multiplied by: 1/rows for mean
/// — the global batch's rows under a split (ops/batch_split.h) — and 1 otherwise.
inline double reduction_scale(Reduction reduction, std::int64_t rows) {
  return reduction == Reduction::mean ? 1.0 / static_cast<double>(global_rows(rows)) : 1.0;
}

/// Per-row losses [rows] reduced as asked, without recording (the caller records one fused op):
/// summed over the rows as the batch's fixed tree (Note [Batch sums in a fixed tree]), combined
/// across ranks under a split, and for the mean divided by the global row count. Defined in
/// nll_loss.cpp.
Tensor reduce_losses(const Tensor& losses, Reduction reduction);

}  // namespace tg
