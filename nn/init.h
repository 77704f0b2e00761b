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

/// The activation a kaiming initialiser (or calculate_gain) is for.
enum class Nonlinearity { linear, sigmoid, tanh, relu, leaky_relu };
/// Which fan a kaiming initialiser keeps the variance for: fan_in (forward) or fan_out (backward).
enum class FanMode { fan_in, fan_out };

/// PyTorch's calculate_gain: 1 for linear and sigmoid, 5/3 for tanh, √2 for relu,
/// √(2/(1 + negative_slope²)) for leaky_relu. Deliberately no SELU entry (Note [The SELU gain trap]).
double calculate_gain(Nonlinearity nonlinearity, double negative_slope = 0.01);

/// N(0, 1/fan_in): the SNN initialisation (docs/paper.md §3). fan_in = size(1) of [out, in].
void lecun_normal(const Tensor& w, Generator& gen);
/// N(0, 2/fan_in): He/MSRA, for ReLU networks.
void he_normal(const Tensor& w, Generator& gen);
/// U(−l, l) with l = sqrt(6/(fan_in + fan_out)): Glorot/Xavier uniform (xavier_uniform, gain 1).
void glorot_uniform(const Tensor& w, Generator& gen);

// PyTorch's initialisers (torch.nn.init.*_), same formulas and defaults. The fans of a weight
// with two or more axes are fan_in = size(1)·r and fan_out = size(0)·r, r the product of the
// remaining sizes (1 for a [out, in] matrix).

/// U(−l, l), l = gain·√(6/(fan_in + fan_out)).
void xavier_uniform(const Tensor& w, Generator& gen, double gain = 1.0);
/// N(0, σ²), σ = gain·√(2/(fan_in + fan_out)).
void xavier_normal(const Tensor& w, Generator& gen, double gain = 1.0);
/// U(−l, l), l = √3·gain/√fan, gain = calculate_gain(nonlinearity, a). The defaults (a = 0,
/// fan_in, leaky_relu, so gain √2) give l = √(6/fan_in). With Nonlinearity::linear it is
/// variance 1/fan_in, the SNN scaling.
void kaiming_uniform(const Tensor& w, Generator& gen, double a = 0.0, FanMode mode = FanMode::fan_in,
                     Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
/// N(0, σ²), σ = gain/√fan, gain as kaiming_uniform. kaiming_normal(w, gen, 0, fan_in, linear) is
/// lecun_normal; with relu it is he_normal (up to the last bit of σ).
void kaiming_normal(const Tensor& w, Generator& gen, double a = 0.0, FanMode mode = FanMode::fan_in,
                    Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
/// gain·Q, Q (semi-)orthogonal: the Q of the QR factorisation of a [rows, cols] N(0, 1) matrix
/// drawn from gen in float64 (of its transpose when rows < cols, then transposed back), with the
/// signs that make R's diagonal positive, so Q is unique (PyTorch's orthogonal_). rows = size(0),
/// cols = numel/rows. Qᵀ·Q = I when rows ≥ cols, Q·Qᵀ = I otherwise.
void orthogonal(const Tensor& w, Generator& gen, double gain = 1.0);
/// N(mean, std²).
void normal(const Tensor& w, Generator& gen, double mean, double std);
/// U(low, high).
void uniform(const Tensor& w, Generator& gen, double low, double high);
void zeros(const Tensor& w);
void constant(const Tensor& w, double value);

}  // namespace tg::nn::init
