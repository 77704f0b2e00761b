// The moment map g, its Jacobian, fixed points, the (α, λ) solver, the Ω scan and the deep
// forward check. See nn/moments.h and Note [One formula, two evaluators].
#include "nn/moments.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include "tensor/random.h"
#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

namespace tg::moments {
namespace {

constexpr double kSqrt2 = std::numbers::sqrt2;
constexpr double kSqrt2OverPi = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;  // √(2/π)

/// E[selu z] and E[selu² z] for z ~ N(μω, ντ): docs/paper.md §4 with x = μω, v = ντ, s = √v.
/// V is double or Tensor; unqualified erf/erfc/exp/sqrt find std:: for double and tg:: (by
/// argument-dependent lookup) for Tensor. See Note [One formula, two evaluators].
template <class V>
std::pair<V, V> first_two_moments(const V& mu, const V& omega, const V& nu, const V& tau, const V& alpha,
                                  const V& lambda) {
  using std::erf, std::erfc, std::exp, std::sqrt;
  const V x = mu * omega, v = nu * tau;
  const V s = sqrt(v);
  const V r = s * kSqrt2;                                   // x/r = x/(√2 s)
  const V erf_x = erf(x / r), erfc_x = erfc(x / r);
  const V gauss = kSqrt2OverPi * s * exp(-(x * x) / (2.0 * v));  // √(2/π)·s·exp(−x²/2v)
  const V e1 = exp(x + v / 2.0) * erfc((x + v) / r);
  const V e2 = exp(2.0 * (x + v)) * erfc((x + 2.0 * v) / r);
  V mean = lambda / 2.0 * (x * erf_x + alpha * e1 - alpha * erfc_x + gauss + x);
  V second = lambda * lambda / 2.0 *
             ((x * x + v) * (1.0 + erf_x) + alpha * alpha * (-2.0 * e1 + e2 + erfc_x) + x * gauss);
  return {std::move(mean), std::move(second)};
}

Tensor scalar(double value) { return full(Shape{}, value, DType::float64); }
Tensor leaf(double value) { return scalar(value).requires_grad(true); }
Tensor leaf(const std::vector<double>& values) {
  return tensor(values, {static_cast<std::int64_t>(values.size())}, DType::float64).requires_grad(true);
}

std::vector<double> grad_values(const Tensor& x) {
  return x.grad().defined() ? x.grad().to_vector() : std::vector<double>(x.numel(), 0.0);
}

// Leaves the caller's tape as it found it: our records are appended and then dropped, and the
// backward passes below retain the tape, so records the caller made before stay intact.
class TapeScope {
 public:
  explicit TapeScope(const char* who) : mark_(tape().mark()) {
    check(grad_enabled(), who, ": needs gradient recording, but it is called inside a NoGrad scope");
  }
  ~TapeScope() { tape().rewind(mark_); }
  TapeScope(const TapeScope&) = delete;
  TapeScope& operator=(const TapeScope&) = delete;

 private:
  Tape::Mark mark_;
};

/// ∂/∂a and ∂/∂b of `first` then of `second` (elementwise), by two backward passes.
struct Partials {
  std::vector<double> first_a, first_b, second_a, second_b;
};
Partials partials(const Tensor& first, const Tensor& second, Tensor a, Tensor b) {
  Partials p;
  backward(first, ones(first.shape(), DType::float64), /*retain_tape=*/true);
  p.first_a = grad_values(a), p.first_b = grad_values(b);
  a.zero_grad(), b.zero_grad();
  backward(second, ones(second.shape(), DType::float64), /*retain_tape=*/true);
  p.second_a = grad_values(a), p.second_b = grad_values(b);
  a.zero_grad(), b.zero_grad();
  return p;
}

void check_positive(double value, const char* who, const char* name) {
  check(value > 0 && std::isfinite(value), who, ": ", name, " must be positive and finite, got ", value);
}

// Note [A variance that does not cancel]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// ν̃ = E[selu² z] − μ̃² subtracts two nearly equal numbers once the unit saturates: for z ≪ 0
// selu z ≈ −λα whatever z is, both terms are ≈ (λα)², and their difference drowns in rounding
// (μ = 4, ω = −4, ν = 0.01, τ = 1 gave −1.3e−15 for the true +4.0e−16). So the scalar map()
// computes the variance directly, ν̃ = E[(d − E d)²] with d = selu(z) − selu(m), z = m + s·x,
// x ~ N(0, 1): d is formed so that it keeps its relative precision (λα·eᵐ·expm1(s·x) when z and m
// are both ≤ 0, λ·s·x when both are > 0), and both expectations are Gauss–Legendre sums over
// x ∈ [−kTail, kTail] split at the kink z = 0, where the integrand is smooth on each side. The
// closed form's mean stays: it does not cancel. The Tensor map (for derivatives) keeps the
// closed form.
constexpr double kTail = 12;          // φ(12) ≈ 2e−32: what lies beyond is below double precision
constexpr double kPanelWidth = 0.25;  // in standard deviations; 8 nodes per panel
constexpr double kNodes[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
constexpr double kWeights[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

double selu_value(double z, const SeluParams& selu) {
  return z > 0 ? selu.lambda * z : selu.lambda * selu.alpha * std::expm1(z);
}

// Var[selu z] for z ~ N(m, s²), by Note [A variance that does not cancel].
double selu_variance(double m, double s, const SeluParams& selu) {
  const double f_m = selu_value(m, selu);
  auto deviation = [&](double x) {  // selu(m + s·x) − selu(m)
    const double z = m + s * x;
    if (z <= 0 && m <= 0) return selu.lambda * selu.alpha * std::exp(m) * std::expm1(s * x);
    if (z > 0 && m > 0) return selu.lambda * s * x;
    return selu_value(z, selu) - f_m;
  };
  // Σ over the panels of [−kTail, kTail], split at the kink x = −m/s, of w·φ(x)·h(d(x)).
  auto expectation = [&](auto h) {
    std::vector<double> cuts{-kTail};
    if (const double kink = -m / s; kink > -kTail && kink < kTail) cuts.push_back(kink);
    cuts.push_back(kTail);
    double total = 0;
    for (std::size_t c = 0; c + 1 < cuts.size(); ++c) {
      const int panels = std::max(1, static_cast<int>(std::ceil((cuts[c + 1] - cuts[c]) / kPanelWidth)));
      const double width = (cuts[c + 1] - cuts[c]) / panels;
      for (int p = 0; p < panels; ++p) {
        const double centre = cuts[c] + (p + 0.5) * width, half = width / 2;
        for (int k = 0; k < 4; ++k)
          for (double x : {centre - half * kNodes[k], centre + half * kNodes[k]})
            total += half * kWeights[k] * std::exp(-x * x / 2) * h(deviation(x));
      }
    }
    return total * std::numbers::inv_sqrtpi / kSqrt2;  // φ's 1/√(2π)
  };
  const double mean = expectation([](double d) { return d; });
  return expectation([mean](double d) { return (d - mean) * (d - mean); });
}

}  // namespace

Moments map(Moments in, double omega, double tau, const SeluParams& selu) {
  check_positive(in.nu, "moments::map", "nu");
  check_positive(tau, "moments::map", "tau");
  check(std::isfinite(in.mu) && std::isfinite(omega), "moments::map: mu and omega must be finite, got ", in.mu, " and ",
        omega);
  auto [mean, second] = first_two_moments(in.mu, omega, in.nu, tau, selu.alpha, selu.lambda);
  // exp(2(x + v)) overflows (and erfc underflows) once μω + ντ passes ≈ 350.
  check(std::isfinite(mean) && std::isfinite(second), "moments::map: g is not finite in double at mu ", in.mu,
        ", omega ", omega, ", nu ", in.nu, ", tau ", tau, " (the closed form overflows for mu*omega + nu*tau > ~350)");
  // The closed form's second moment is checked above for overflow; the variance comes from the
  // form that does not cancel (Note [A variance that does not cancel]).
  return {mean, selu_variance(in.mu * omega, std::sqrt(in.nu * tau), selu)};
}

MapTensors map(const Tensor& mu, const Tensor& omega, const Tensor& nu, const Tensor& tau, const Tensor& alpha,
               const Tensor& lambda) {
  for (const Tensor* t : {&mu, &omega, &nu, &tau, &alpha, &lambda})
    check(t->defined() && t->dtype() == DType::float64, "moments::map: expects float64 tensors, got ",
          t->defined() ? describe(*t) : std::string("an undefined tensor"));
  auto [mean, second] = first_two_moments(mu, omega, nu, tau, alpha, lambda);
  return {mean, second - square(mean)};
}

double spectral_norm(const Jacobian& j) {
  return (std::hypot(j.j11 + j.j22, j.j12 - j.j21) + std::hypot(j.j11 - j.j22, j.j12 + j.j21)) / 2;
}

Jacobian jacobian(Moments at, double omega, double tau, const SeluParams& selu) {
  map(at, omega, tau, selu);  // validates the arguments with the scalar messages
  TapeScope scope("moments::jacobian");
  Tensor mu = leaf(at.mu), nu = leaf(at.nu);
  MapTensors out = map(mu, scalar(omega), nu, scalar(tau), scalar(selu.alpha), scalar(selu.lambda));
  Partials p = partials(out.mu_tilde, out.nu_tilde, mu, nu);
  const Jacobian j{p.first_a[0], p.first_b[0], p.second_a[0], p.second_b[0]};
  // The closed form's derivatives divide by √(ντ): they overflow (inf − inf = NaN) for a tiny ντ.
  check(std::isfinite(j.j11) && std::isfinite(j.j12) && std::isfinite(j.j21) && std::isfinite(j.j22),
        "moments::jacobian: the Jacobian is not finite in double at mu ", at.mu, ", omega ", omega, ", nu ", at.nu,
        ", tau ", tau, " (j11 ", j.j11, ", j12 ", j.j12, ", j21 ", j.j21, ", j22 ", j.j22,
        "; the closed form's derivatives overflow for a tiny nu*tau)");
  return j;
}

FixedPoint fixed_point(double omega, double tau, Moments start, const SeluParams& selu, double tolerance,
                       int max_iterations) {
  FixedPoint fp;
  fp.at = start;
  while (fp.iterations < max_iterations) {
    Moments next = map(fp.at, omega, tau, selu);
    check(next.nu > 0, "moments::fixed_point: the variance reached ", next.nu, " after ", fp.iterations + 1,
          " iterations (omega ", omega, ", tau ", tau, ")");
    const double step = std::max(std::abs(next.mu - fp.at.mu), std::abs(next.nu - fp.at.nu));
    fp.at = next;
    ++fp.iterations;
    if (step <= tolerance * std::max(1.0, next.nu)) {
      fp.converged = true;
      break;
    }
  }
  fp.jacobian = jacobian(fp.at, omega, tau, selu);
  fp.spectral_norm = spectral_norm(fp.jacobian);
  return fp;
}

Solution solve(Moments target, double tolerance, int max_iterations) {
  check_positive(target.nu, "moments::solve", "nu");
  check(std::isfinite(target.mu), "moments::solve: mu must be finite, got ", target.mu);
  Solution sol;  // starts at (α01, λ01)
  // Newton on F(α, λ) = g(μ*, ν*; ω = 0, τ = 1, α, λ) − (μ*, ν*), with ∂F/∂(α, λ) by autograd.
  for (sol.iterations = 1; sol.iterations <= max_iterations; ++sol.iterations) {
    TapeScope scope("moments::solve");
    Tensor alpha = leaf(sol.selu.alpha), lambda = leaf(sol.selu.lambda);
    MapTensors out = map(scalar(target.mu), scalar(0.0), scalar(target.nu), scalar(1.0), alpha, lambda);
    const double f1 = out.mu_tilde.item() - target.mu, f2 = out.nu_tilde.item() - target.nu;
    Partials p = partials(out.mu_tilde, out.nu_tilde, alpha, lambda);
    const double a11 = p.first_a[0], a12 = p.first_b[0], a21 = p.second_a[0], a22 = p.second_b[0];
    const double det = a11 * a22 - a12 * a21;
    check(det != 0 && std::isfinite(det), "moments::solve: singular Jacobian at alpha ", sol.selu.alpha, ", lambda ",
          sol.selu.lambda, " for target (", target.mu, ", ", target.nu, ")");
    const double d_alpha = (f1 * a22 - f2 * a12) / det, d_lambda = (a11 * f2 - a21 * f1) / det;
    sol.selu.alpha -= d_alpha;
    sol.selu.lambda -= d_lambda;
    check(std::isfinite(sol.selu.alpha) && sol.selu.lambda > 0, "moments::solve: Newton left the valid region (alpha ",
          sol.selu.alpha, ", lambda ", sol.selu.lambda, ") for target (", target.mu, ", ", target.nu, ")");
    if (std::abs(d_alpha) <= tolerance * std::abs(sol.selu.alpha) &&
        std::abs(d_lambda) <= tolerance * std::abs(sol.selu.lambda)) {
      Moments image = map(target, 0.0, 1.0, sol.selu);
      sol.residual = std::max(std::abs(image.mu - target.mu), std::abs(image.nu - target.nu));
      return sol;
    }
  }
  throw Error(cat("moments::solve: Newton did not converge in ", max_iterations, " iterations for target (", target.mu,
                  ", ", target.nu, "); last alpha ", sol.selu.alpha, ", lambda ", sol.selu.lambda));
}

Moments alpha_dropout_moments(Moments in, double rate, const AlphaDropoutCoefficients& c) {
  const double q = 1 - rate;
  // u = x·d + α'(1−d): E[u] = qμ + (1−q)α',  E[u²] = q(ν + μ²) + (1−q)α'².
  const double mean_u = q * in.mu + (1 - q) * c.alpha_prime;
  const double second_u = q * (in.nu + in.mu * in.mu) + (1 - q) * c.alpha_prime * c.alpha_prime;
  return {c.a * mean_u + c.b, c.a * c.a * (second_u - mean_u * mean_u)};
}

Scan scan(const Domain& d, int points_per_axis, const SeluParams& selu) {
  const int n = points_per_axis;
  check(n >= 2 && n <= 1000, "moments::scan: points_per_axis must be in [2, 1000], got ", n);
  check(d.mu_lo <= d.mu_hi && d.omega_lo <= d.omega_hi && d.nu_lo <= d.nu_hi && d.tau_lo <= d.tau_hi,
        "moments::scan: every domain interval needs lo <= hi");
  check_positive(d.nu_lo, "moments::scan", "nu_lo");
  check_positive(d.tau_lo, "moments::scan", "tau_lo");
  auto coord = [n](double lo, double hi, std::int64_t i) { return i == n - 1 ? hi : lo + (hi - lo) * i / (n - 1); };

  Scan out;
  out.points = std::int64_t{n} * n * n * n;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double xi_min = kInf, xi_max = -kInf, mean_sq_min = kInf, mean_sq_max = -kInf;
  out.mu_tilde_min = out.nu_tilde_min = kInf;
  out.mu_tilde_max = out.nu_tilde_max = -kInf;

  // Chunks of the flat grid keep the tape's saved tensors to a few MiB.
  constexpr std::int64_t kChunk = 1 << 15;
  for (std::int64_t begin = 0; begin < out.points; begin += kChunk) {
    const std::int64_t m = std::min(kChunk, out.points - begin);
    std::vector<double> mu(m), omega(m), nu(m), tau(m);
    for (std::int64_t k = 0; k < m; ++k) {
      std::int64_t flat = begin + k;  // flat = ((i_mu·n + i_omega)·n + i_nu)·n + i_tau
      tau[k] = coord(d.tau_lo, d.tau_hi, flat % n), flat /= n;
      nu[k] = coord(d.nu_lo, d.nu_hi, flat % n), flat /= n;
      omega[k] = coord(d.omega_lo, d.omega_hi, flat % n), flat /= n;
      mu[k] = coord(d.mu_lo, d.mu_hi, flat);
    }
    TapeScope scope("moments::scan");
    Tensor mu_t = leaf(mu), nu_t = leaf(nu);
    const Shape shape{m};
    auto [mean_t, second_t] = first_two_moments(mu_t, tensor(omega, shape, DType::float64), nu_t,
                                                tensor(tau, shape, DType::float64), scalar(selu.alpha),
                                                scalar(selu.lambda));
    Tensor var_t = second_t - square(mean_t);
    Partials p = partials(mean_t, var_t, mu_t, nu_t);
    const std::vector<double> mean_v = mean_t.to_vector(), var_v = var_t.to_vector(),
                              second_v = second_t.to_vector();
    for (std::int64_t k = 0; k < m; ++k) {
      const double sigma = spectral_norm({p.first_a[k], p.first_b[k], p.second_a[k], p.second_b[k]});
      if (sigma > out.max_spectral_norm) {
        out.max_spectral_norm = sigma;
        out.argmax_mu = mu[k], out.argmax_omega = omega[k], out.argmax_nu = nu[k], out.argmax_tau = tau[k];
      }
      out.mu_tilde_min = std::min(out.mu_tilde_min, mean_v[k]), out.mu_tilde_max = std::max(out.mu_tilde_max, mean_v[k]);
      out.nu_tilde_min = std::min(out.nu_tilde_min, var_v[k]), out.nu_tilde_max = std::max(out.nu_tilde_max, var_v[k]);
      xi_min = std::min(xi_min, second_v[k]), xi_max = std::max(xi_max, second_v[k]);
      mean_sq_min = std::min(mean_sq_min, mean_v[k] * mean_v[k]);
      mean_sq_max = std::max(mean_sq_max, mean_v[k] * mean_v[k]);
    }
  }
  out.nu_tilde_bound_lo = xi_min - mean_sq_max;
  out.nu_tilde_bound_hi = xi_max - mean_sq_min;
  return out;
}

Init parse_init(const std::string& name) {
  if (name == "lecun") return Init::lecun;
  if (name == "gain0.75") return Init::gain075;
  if (name == "he") return Init::he;
  throw Error(cat("moments: unknown init '", name, "' (expected lecun, gain0.75 or he)"));
}

const char* init_name(Init init) {
  switch (init) {
    case Init::lecun: return "lecun";
    case Init::gain075: return "gain0.75";
    case Init::he: return "he";
  }
  return "?";
}

std::vector<Moments> deep_moments(const DeepNet& net) {
  check(net.layers >= 1 && net.width >= 2 && net.batch >= 1, "moments::deep_moments: needs layers >= 1, width >= 2, ",
        "batch >= 1, got layers ", net.layers, ", width ", net.width, ", batch ", net.batch);
  check(net.input.nu >= 0 && std::isfinite(net.input.nu) && std::isfinite(net.input.mu),
        "moments::deep_moments: the input variance must be finite and >= 0, got ", net.input.nu);
  const double gain = net.init == Init::lecun ? 1.0 : net.init == Init::gain075 ? 0.75 : std::numbers::sqrt2;
  const double weight_std = gain / std::sqrt(static_cast<double>(net.width));

  NoGrad no_grad;  // a forward pass only: nothing goes on the tape
  Generator gen(net.seed);
  Tensor h = randn({net.batch, net.width}, gen, DType::float64, net.input.mu, std::sqrt(net.input.nu));
  std::vector<Moments> per_layer;
  for (int layer = 0; layer < net.layers; ++layer) {
    Tensor weight = randn({net.width, net.width}, gen, DType::float64, 0.0, weight_std);
    h = selu(linear(h, weight));
    per_layer.push_back({mean(h).item(), var(h, {0, 1}).item()});
  }
  return per_layer;
}

}  // namespace tg::moments
