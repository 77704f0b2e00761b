// Softmax and losses. cross_entropy is fused (log-softmax + NLL) for speed and stability;
// the composite log_softmax → nll_loss is its test oracle.
#pragma once

#include "tensor/tensor.h"

namespace tg {

enum class Reduction { mean, sum, none };

Tensor softmax(const Tensor& x, int axis = -1);      ///< e^x / Σ e^x along axis; saves y
Tensor log_softmax(const Tensor& x, int axis = -1);  ///< x − log Σ e^x along axis; saves y
/// −log softmax(logits)[label] per row of logits [batch, classes]; labels int64 [batch].
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction = Reduction::mean);
/// −log_probs[label] per row; labels int64 [batch].
Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, Reduction reduction = Reduction::mean);
/// (prediction − target)² per element, reduced.
Tensor mse_loss(const Tensor& prediction, const Tensor& target, Reduction reduction = Reduction::mean);

}  // namespace tg
