// Dropout and alpha-dropout. Masks come from the counter-based generator, so they are the
// same for any thread count (Note [Counter-based randomness]).
#pragma once

#include <cstdint>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace tg {

/// Training: y = x·m/q with m ~ Bernoulli(q), q = 1−p rounded to a multiple of 2^-16 (Note
/// [Sixteen-bit draws]); gradient m/q. Eval: identity.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);
Tensor dropout(const Tensor& x, double p, bool training, std::uint64_t seed);

/// Alpha-dropout's affine correction for keep probability q = 1 − rate and α' = −λα,
/// chosen so that mean μ and variance ν are preserved (derivation in docs/paper.md §2).
struct AlphaDropoutCoefficients {
  double a, b, alpha_prime;
};
AlphaDropoutCoefficients alpha_dropout_coefficients(double rate, double mu = 0.0, double nu = 1.0);

/// Training: y = a·(x·d + α'(1−d)) + b with d ~ Bernoulli(1 − rate); gradient a·d.
/// Eval: identity.
Tensor alpha_dropout(const Tensor& x, double rate, bool training, Generator& gen);
Tensor alpha_dropout(const Tensor& x, double rate, bool training, std::uint64_t seed);

namespace detail {
/// A keep probability as a 16-bit threshold t (keep iff the draw < t) and the probability
/// t/2^16 it realises (Note [Sixteen-bit draws] in tensor/random.h). Errors name `op`.
struct KeepThreshold {
  std::uint32_t threshold;
  double probability;
};
KeepThreshold keep_threshold(double keep, const char* op);

/// The masked affine map both dropouts are (dropout.cpp): with d_i ~ Bernoulli(keep.probability)
/// from gen, y_i = d_i·kept_gain·x_i + (d_i ? kept_shift : dropped_value), recorded as `op` with
/// gx += gy·d·kept_gain. x must be a defined float tensor.
Tensor masked_affine(const char* op, const Tensor& x, const KeepThreshold& keep, double kept_gain, double kept_shift,
                     double dropped_value, Generator& gen);
}  // namespace detail

}  // namespace tg
