// Weight initialisation, in place, from a counter-based Generator.
//
// Note [The SELU gain trap]
// ~~~~~~~~~~~~~~~~~~~~~~~~~
// Self-normalisation needs weights with variance exactly 1/fan_in (τ = Σw² ≈ 1): lecun_normal.
// PyTorch's calculate_gain('selu') returns 3/4, so its kaiming/xavier inits with that gain give
// variance (3/4)²/fan_in, τ = 9/16, and activations whose variance collapses towards ≈ 0.03 over
// depth — not self-normalising (tests/nn/test_init.cpp keeps this as a regression test).
// tapegrad's Linear therefore defaults to lecun_normal; there is no "selu gain".
#pragma once

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace tg::nn::init {

/// N(0, 1/fan_in): the SNN initialisation (PAPER.md §1). fan_in = size(1) of [out, in].
void lecun_normal(const Tensor& w, Generator& gen);
/// N(0, 2/fan_in): He/MSRA, for ReLU networks.
void he_normal(const Tensor& w, Generator& gen);
/// U(−l, l) with l = sqrt(6/(fan_in + fan_out)): Glorot/Xavier uniform.
void glorot_uniform(const Tensor& w, Generator& gen);
/// N(mean, std²).
void normal(const Tensor& w, Generator& gen, double mean, double std);
/// U(low, high).
void uniform(const Tensor& w, Generator& gen, double low, double high);
void zeros(const Tensor& w);
void constant(const Tensor& w, double value);

}  // namespace tg::nn::init
