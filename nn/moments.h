// The moment map g of a SELU layer (docs/paper.md §4–5; Klambauer et al. 2017, Eq. 4–7 and Theorem 1).
//
// A unit whose n inputs have mean μ and variance ν, and whose weights have ω = Σwᵢ and τ = Σwᵢ²,
// receives z ≈ N(μω, ντ). g maps (μ, ν) to the mean and variance of selu(z):
//   (μ̃, ν̃) = g(μ, ω, ν, τ) = (E[selu z], E[selu² z] − E[selu z]²),
// in closed form with erf/erfc. Everything here is float64.
//
// Note [One formula, two evaluators]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// The closed form is written once, as a template over the value type (moments.cpp). With
// V = double it is plain <cmath>; with V = Tensor the same lines build a graph of tapegrad ops
// (mul, div, exp, sqrt, erf, erfc, ...), so tapegrad's own reverse mode differentiates it:
// jacobian() seeds μ̃ and then ν̃ and reads ∂/∂μ, ∂/∂ν off the leaves; solve() does the same
// with α and λ as the leaves. Because every op is elementwise, the Tensor evaluator also runs
// on whole 1-D grids at once: grid point i only touches element i, so one backward pass with a
// ones gradient yields every point's partial derivative (scan() uses this).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/tensor.h"
#include "ops/constants.h"
#include "ops/dropout.h"

namespace tg::moments {

/// SELU's two parameters; the defaults are α01 and λ01.
struct SeluParams {
  double alpha = kSeluAlpha<double>;
  double lambda = kSeluLambda<double>;
};

/// Mean and variance of a layer's activations.
struct Moments {
  double mu = 0, nu = 1;
};

/// (μ̃, ν̃) = g(μ, ω, ν, τ) in double. Requires ν > 0 and τ > 0; throws tg::Error where the closed
/// form overflows (exp(2(μω + ντ)) with μω + ντ beyond ≈ 350).
Moments map(Moments in, double omega, double tau, const SeluParams& selu = {});

/// The same closed form built from tapegrad ops on float64 tensors that broadcast together
/// (0-dim scalars or equal 1-D grids). Differentiable in every argument.
struct MapTensors {
  Tensor mu_tilde, nu_tilde;
};
MapTensors map(const Tensor& mu, const Tensor& omega, const Tensor& nu, const Tensor& tau, const Tensor& alpha,
               const Tensor& lambda);

/// ∂(μ̃, ν̃)/∂(μ, ν): [[j11, j12], [j21, j22]] = [[∂μ̃/∂μ, ∂μ̃/∂ν], [∂ν̃/∂μ, ∂ν̃/∂ν]].
struct Jacobian {
  double j11 = 0, j12 = 0, j21 = 0, j22 = 0;
};

/// Largest singular value of a 2×2 matrix, closed form:
/// σ₁ = (√((j11+j22)² + (j12−j21)²) + √((j11−j22)² + (j12+j21)²)) / 2.
double spectral_norm(const Jacobian& j);

/// The Jacobian of g in (μ, ν), by tapegrad's autograd (two backward passes over one tape).
Jacobian jacobian(Moments at, double omega, double tau, const SeluParams& selu = {});

/// (μ, ν) ← g(μ, ν) from `start` until a step moves both by at most tolerance·max(1, ν). With a
/// contraction factor k the distance to the fixed point is then at most step·k/(1 − k): ≈ 4 steps
/// at (0, 1), where k ≈ 0.79.
struct FixedPoint {
  Moments at;
  Jacobian jacobian;
  double spectral_norm = 0;
  int iterations = 0;
  bool converged = false;
};
FixedPoint fixed_point(double omega, double tau, Moments start = {1.0, 2.0}, const SeluParams& selu = {},
                       double tolerance = 1e-15, int max_iterations = 100000);

/// The (α, λ) for which `target` is the fixed point of g at ω = 0, τ = 1, by Newton's method
/// from (α01, λ01). The 2×2 Jacobian w.r.t. (α, λ) comes from tapegrad's autograd. Stops after
/// the first step smaller than tolerance·|α| and tolerance·|λ|: convergence is quadratic, so that
/// step already lands on the double-precision root. Throws tg::Error when Newton does not
/// converge or λ would be non-positive.
struct Solution {
  SeluParams selu;
  int iterations = 0;
  double residual = 0;  ///< max |g(target) − target| at the solution
};
Solution solve(Moments target, double tolerance = 1e-12, int max_iterations = 50);

/// Exact mean and variance of alpha-dropout's output y = a·(x·d + α'(1−d)) + b, d ~ Bernoulli(1 − rate),
/// for an input x with moments `in` (independent of d). A check on alpha_dropout_coefficients.
Moments alpha_dropout_moments(Moments in, double rate, const AlphaDropoutCoefficients& c);

/// A box of (μ, ω, ν, τ); the default is Theorem 1's Ω.
struct Domain {
  double mu_lo = -0.1, mu_hi = 0.1;
  double omega_lo = -0.1, omega_hi = 0.1;
  double nu_lo = 0.8, nu_hi = 1.5;
  double tau_lo = 0.95, tau_hi = 1.1;
};

/// g and its Jacobian on a points⁴ grid of a Domain (endpoints included), vectorised.
struct Scan {
  std::int64_t points = 0;                 ///< grid points evaluated
  double max_spectral_norm = 0;
  double argmax_mu = 0, argmax_omega = 0, argmax_nu = 0, argmax_tau = 0;
  double mu_tilde_min = 0, mu_tilde_max = 0;  ///< the image of the grid
  double nu_tilde_min = 0, nu_tilde_max = 0;
  /// The paper's interval bound on ν̃ = ξ̃ − μ̃² (ξ̃ the second moment):
  /// [min ξ̃ − max μ̃², max ξ̃ − min μ̃²], looser than the grid's image.
  double nu_tilde_bound_lo = 0, nu_tilde_bound_hi = 0;
};
Scan scan(const Domain& domain = {}, int points_per_axis = 21, const SeluParams& selu = {});

/// Weight initialisations for the deep forward check: N(0, gain²/width).
enum class Init { lecun, gain075, he };  ///< gain 1, 3/4 (PyTorch's 'selu' gain), √2
/// Parses "lecun", "gain0.75", "he"; throws tg::Error otherwise.
Init parse_init(const std::string& name);
const char* init_name(Init init);

/// A deep random SELU network, no biases, run forward with tapegrad ops in float64 on inputs
/// N(input.mu, input.nu); returns the empirical (mean, variance) of every layer's activations
/// over the whole [batch, width] output, layers 1..layers.
struct DeepNet {
  int layers = 100;
  std::int64_t width = 1024;
  std::int64_t batch = 256;
  Init init = Init::lecun;
  Moments input{1.0, 9.0};
  std::uint64_t seed = 0;
};
std::vector<Moments> deep_moments(const DeepNet& net);

}  // namespace tg::moments
