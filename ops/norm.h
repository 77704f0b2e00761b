// Normalisation: of activations ([batch, features] inputs) and of weights.
#pragma once

#include "tensor/tensor.h"

namespace tg {

/// Batch normalisation over axis 0 of x [batch, features].
/// Training: normalise with the batch mean and biased variance, then update in place
///   running_mean ← (1 − momentum)·running_mean + momentum·mean,
///   running_var  ← (1 − momentum)·running_var  + momentum·unbiased variance   (PyTorch's convention).
/// Eval: normalise with running_mean and running_var. weight (γ) and bias (β) may be undefined.
/// running_mean/running_var may be undefined in training mode (then nothing is tracked).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);

/// Layer normalisation over the last axis of x, with optional affine weight and bias
/// of shape [features].
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);

/// Weight normalisation (Salimans & Kingma 2016): w = g·v/‖v‖ row by row, for v [out, in] and
/// g [out], so each output unit's weights have length g_i whatever v's scale. Composed of
/// differentiable ops; a row of v that is all zeros gives NaN.
Tensor weight_norm(const Tensor& v, const Tensor& g);

}  // namespace tg
