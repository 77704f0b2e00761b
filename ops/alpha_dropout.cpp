// Alpha-dropout (Klambauer et al. 2017, docs/paper.md §2): dropout for SELU networks. A dropped unit
// is set to SELU's saturation value α' = −λα instead of 0, and an affine map (a, b) restores
// the mean and variance the input had (in expectation).
//   forward : y = a·(x·d + α'(1−d)) + b,  d ~ Bernoulli(q = 1 − rate)   (training)
//               = a·x + b where kept, a·α' + b where dropped
//             y = x, the very same tensor, and nothing is recorded       (eval)
//   backward: gx += gy·a·d
//   saves   : g = a·d as a tensor of x's dtype (a or 0): the derivative itself, so backward is one
//             multiply-add and the forward's dropped value is recognised by g == 0. x is not kept.
//   fused   : it runs on every hidden layer of a regularised SNN; a composite would make four
//             temporaries of x's size.
//
// It is dropout's masked affine map (dropout.cpp) with kept_gain a, kept_shift b and
// dropped_value a·α' + b, on the same 16-bit draws; a and b are computed from the keep probability
// q = t/2^16 that the threshold t realises, so mean and variance are preserved for the mask
// actually drawn (rate 0.05: q = 62259/65536 = 0.9499969…).
#include <cmath>

#include "ops/constants.h"
#include "ops/dropout.h"

namespace tg {

AlphaDropoutCoefficients alpha_dropout_coefficients(double rate, double mu, double nu) {
  check(rate >= 0 && rate < 1, "alpha_dropout_coefficients: rate ", rate, " is outside [0, 1)");
  check(nu > 0, "alpha_dropout_coefficients: variance ", nu, " must be positive");
  const double q = 1 - rate, alpha_prime = -kSeluLambda<double> * kSeluAlpha<double>;
  // Var(x·d + α'(1−d)) = q·((1−q)(α'−μ)² + ν) and its mean is qμ + (1−q)α'; a and b map these
  // back to (μ, ν). At (0, 1) this is a = (q + α'²q(1−q))^(−1/2), b = −a(1−q)α'.
  const double a = std::sqrt(nu / (q * ((1 - q) * (alpha_prime - mu) * (alpha_prime - mu) + nu)));
  const double b = mu - a * (q * mu + (1 - q) * alpha_prime);
  return {a, b, alpha_prime};
}

Tensor alpha_dropout(const Tensor& x, double rate, bool training, Generator& gen) {
  check(rate >= 0 && rate < 1, "alpha_dropout: rate ", rate, " is outside [0, 1)");
  check_float_tensor(x, "alpha_dropout");
  if (!training) return x;  // identity: x's own gradient path is already the right one
  // a and b from the keep probability the 16-bit threshold realises (Note [Sixteen-bit draws]).
  const detail::KeepThreshold keep = detail::keep_threshold(1 - rate, "alpha_dropout");
  const AlphaDropoutCoefficients c = alpha_dropout_coefficients(1 - keep.probability);
  return detail::masked_affine("alpha_dropout", x, keep, c.a, c.b, c.a * c.alpha_prime + c.b, gen);
}

Tensor alpha_dropout(const Tensor& x, double rate, bool training, std::uint64_t seed) {
  Generator gen(seed);
  return alpha_dropout(x, rate, training, gen);
}

}  // namespace tg
