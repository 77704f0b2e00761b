// Internal to ops/: pieces shared by softmax.cpp, cross_entropy.cpp, nll_loss.cpp and mse_loss.cpp.
// Not part of the public API.
#pragma once

#include <cstdint>

#include "autograd/tape.h"
#include "tensor/tensor.h"
#include "ops/loss.h"
#include "ops/reduce.h"

namespace tg::kernels {

/// Largest element of x[0, n); −∞ when n = 0. Defined (xsimd) in softmax.cpp for float and double.
template <class T>
T row_max(const T* x, std::int64_t n);

/// log Σ exp(x[i] − m) over x[0, n); with m = row_max(x, n) it cannot overflow, and
/// log Σ exp x = m + the result. Defined (xsimd) in softmax.cpp for float and double.
template <class T>
T log_sum_exp_shifted(const T* x, T m, std::int64_t n);

}  // namespace tg::kernels

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
