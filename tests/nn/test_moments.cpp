// The moment map g against every number of docs/paper.md §4, plus the deep-net behaviour of three inits.
#include <array>
#include <cmath>
#include <numbers>

#include "autograd/tape.h"
#include "nn/moments.h"
#include "ops/constants.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;
namespace mo = tg::moments;

namespace {

Tensor grid(std::initializer_list<double> values) {
  Tensor t = tensor(values, DType::float64);
  t.requires_grad(true);
  return t;
}

// Central differences of the double map: an oracle for the autograd Jacobian that shares no code path
// with it beyond the closed form.
mo::Jacobian finite_difference_jacobian(mo::Moments at, double omega, double tau, double h = 1e-6) {
  auto g = [&](double mu, double nu) { return mo::map({mu, nu}, omega, tau); };
  mo::Moments mu_p = g(at.mu + h, at.nu), mu_m = g(at.mu - h, at.nu);
  mo::Moments nu_p = g(at.mu, at.nu + h), nu_m = g(at.mu, at.nu - h);
  return {(mu_p.mu - mu_m.mu) / (2 * h), (nu_p.mu - nu_m.mu) / (2 * h), (mu_p.nu - mu_m.nu) / (2 * h),
          (nu_p.nu - nu_m.nu) / (2 * h)};
}

}  // namespace

TEST_CASE("moment map: (0, 1) is the fixed point of g at omega 0, tau 1 (docs/paper.md §4)") {
  mo::Moments image = mo::map({0.0, 1.0}, 0.0, 1.0);
  CHECK(std::abs(image.mu) < 1e-15);
  CHECK(std::abs(image.nu - 1) < 1e-15);

  mo::FixedPoint fp = mo::fixed_point(0.0, 1.0, {1.0, 2.0});
  REQUIRE(fp.converged);
  CHECK(fp.iterations > 20);  // it really iterated from (1, 2)
  CHECK(std::abs(fp.at.mu) < 1e-12);
  CHECK(std::abs(fp.at.nu - 1) < 1e-12);
  CHECK(std::abs(fp.spectral_norm - 0.78767336046571560) < 1e-9);
}

TEST_CASE("moment map: tensor evaluator agrees with the double evaluator on a grid") {
  const std::vector<double> mu = {-0.3, 0.0, 0.1, 0.7}, omega = {0.2, 0.0, -0.1, 0.05}, nu = {0.5, 1.0, 1.3, 3.0},
                            tau = {0.9, 1.0, 1.05, 1.2};
  const Shape shape{4};
  mo::MapTensors out = mo::map(tensor(mu, shape, DType::float64), tensor(omega, shape, DType::float64),
                               tensor(nu, shape, DType::float64), tensor(tau, shape, DType::float64),
                               full({}, kSeluAlpha<double>, DType::float64), full({}, kSeluLambda<double>, DType::float64));
  for (int i = 0; i < 4; ++i) {
    mo::Moments expected = mo::map({mu[i], nu[i]}, omega[i], tau[i]);
    CHECK(out.mu_tilde.at({i}) == Approx(expected.mu).margin(1e-14));
    CHECK(out.nu_tilde.at({i}) == Approx(expected.nu).margin(1e-14));
  }
}

TEST_CASE("moment map: E[selu z] and Var[selu z] match numerical integration") {
  // Independent of the closed form: trapezoid rule over z ~ N(m, v) on ±12 standard deviations.
  for (auto [mu, omega, nu, tau] : {std::array{0.0, 0.0, 1.0, 1.0}, std::array{0.5, 0.8, 2.0, 1.1},
                                    std::array{-1.0, 0.6, 0.3, 0.9}, std::array{0.2, -0.1, 9.0, 1.0}}) {
    const double m = mu * omega, s = std::sqrt(nu * tau);
    const int steps = 200000;
    double e1 = 0, e2 = 0;
    for (int k = 0; k <= steps; ++k) {
      const double z = m - 12 * s + 24 * s * k / steps, weight = (k == 0 || k == steps) ? 0.5 : 1.0;
      const double pdf = std::exp(-(z - m) * (z - m) / (2 * s * s)) / (s * std::sqrt(2 * std::numbers::pi));
      const double y = z > 0 ? kSeluLambda<double> * z : kSeluLambda<double> * kSeluAlpha<double> * std::expm1(z);
      e1 += weight * y * pdf, e2 += weight * y * y * pdf;
    }
    e1 *= 24 * s / steps, e2 *= 24 * s / steps;
    mo::Moments g = mo::map({mu, nu}, omega, tau);
    INFO("mu " << mu << " omega " << omega << " nu " << nu << " tau " << tau);
    CHECK(g.mu == Approx(e1).margin(1e-8));
    CHECK(g.nu == Approx(e2 - e1 * e1).margin(1e-8));
  }
}

TEST_CASE("moment map: autograd Jacobian at (0, 1) matches docs/paper.md §4") {
  mo::Jacobian j = mo::jacobian({0.0, 1.0}, 0.0, 1.0);
  CHECK(j.j11 == 0.0);  // at ω = 0, μ̃ does not depend on μ
  CHECK(j.j21 == 0.0);
  CHECK(std::abs(j.j12 - 0.0888347551) < 1e-9);
  CHECK(std::abs(j.j22 - 0.7826478832) < 1e-9);
  CHECK(std::abs(mo::spectral_norm(j) - 0.78767336046571560) < 1e-9);
}

TEST_CASE("moment map: autograd Jacobian matches finite differences away from omega = 0") {
  for (auto [mu, omega, nu, tau] : {std::array{0.1, 0.1, 0.8, 0.95}, std::array{-0.4, 0.7, 1.5, 1.2},
                                    std::array{1.0, -0.5, 3.0, 1.0}, std::array{0.0, 0.2, 0.2, 0.9}}) {
    mo::Jacobian a = mo::jacobian({mu, nu}, omega, tau), n = finite_difference_jacobian({mu, nu}, omega, tau);
    INFO("mu " << mu << " omega " << omega << " nu " << nu << " tau " << tau);
    CHECK(a.j11 == Approx(n.j11).margin(1e-8));
    CHECK(a.j12 == Approx(n.j12).margin(1e-8));
    CHECK(a.j21 == Approx(n.j21).margin(1e-8));
    CHECK(a.j22 == Approx(n.j22).margin(1e-8));
    CHECK(a.j11 != 0.0);
  }
}

TEST_CASE("moment map gradient: the tensor closed form passes gradcheck in all six arguments") {
  // Through erf, erfc, exp, sqrt, mul, div, add, sub, square: every op of the formula.
  Tensor mu = grid({-0.3, 0.0, 0.1, 0.7}), omega = grid({0.2, 0.05, -0.1, 0.4}), nu = grid({0.5, 1.0, 1.3, 3.0}),
         tau = grid({0.9, 1.0, 1.05, 1.2});
  Tensor alpha = full({}, 1.7, DType::float64), lambda = full({}, 1.05, DType::float64);
  alpha.requires_grad(true), lambda.requires_grad(true);
  const std::vector<Tensor> inputs = {mu, omega, nu, tau, alpha, lambda};
  test::require_gradcheck([](const std::vector<Tensor>& in) {
    return mo::map(in[0], in[1], in[2], in[3], in[4], in[5]).mu_tilde; }, inputs);
  test::require_gradcheck([](const std::vector<Tensor>& in) {
    return mo::map(in[0], in[1], in[2], in[3], in[4], in[5]).nu_tilde; }, inputs);
}

TEST_CASE("moment map: spectral norm is the largest singular value") {
  CHECK(mo::spectral_norm({3, 0, 0, -5}) == Approx(5));
  CHECK(mo::spectral_norm({0, 2, 0, 0}) == Approx(2));
  // [[1, 2], [3, 4]]: σ₁² is the larger root of s² − 30s + 4 = 0.
  CHECK(mo::spectral_norm({1, 2, 3, 4}) == Approx(std::sqrt(15 + std::sqrt(221.0))).epsilon(1e-14));
}

TEST_CASE("moment map: alpha01 and lambda01 from their closed forms and from the solver") {
  const double sqrt_e = std::exp(0.5), e = std::exp(1.0), pi = std::numbers::pi;
  const double erfc_1 = std::erfc(1 / std::sqrt(2.0));
  const double alpha01 = -std::sqrt(2 / pi) / (erfc_1 * sqrt_e - 1);
  const double lambda01 = (1 - erfc_1 * sqrt_e) * std::sqrt(2 * pi) /
                          std::sqrt(2 * std::erfc(std::sqrt(2.0)) * e * e + pi * erfc_1 * erfc_1 * e -
                                    2 * (2 + pi) * erfc_1 * sqrt_e + pi + 2);
  CHECK(std::abs(alpha01 - kSeluAlpha<double>) <= 1e-15 * kSeluAlpha<double>);
  CHECK(std::abs(lambda01 - kSeluLambda<double>) <= 1e-15 * kSeluLambda<double>);

  mo::Solution s = mo::solve({0.0, 1.0});
  CHECK(std::abs(s.selu.alpha - kSeluAlpha<double>) < 1e-14);
  CHECK(std::abs(s.selu.lambda - kSeluLambda<double>) < 1e-14);
  CHECK(s.residual < 1e-15);
}

TEST_CASE("moment map: solving for the fixed point (0, 2) gives alpha02 and lambda02") {
  mo::Solution s = mo::solve({0.0, 2.0});
  CHECK(std::abs(s.selu.alpha - 1.9712557503) < 1e-9);
  CHECK(std::abs(s.selu.lambda - 1.0607090761) < 1e-9);
  CHECK(s.residual < 1e-14);
  mo::FixedPoint fp = mo::fixed_point(0.0, 1.0, {0.5, 0.5}, s.selu);
  REQUIRE(fp.converged);
  CHECK(std::abs(fp.at.mu) < 1e-12);
  CHECK(std::abs(fp.at.nu - 2) < 1e-12);
}

TEST_CASE("moment map: a solved (alpha, lambda) is a fixed point for a non-zero target mean too") {
  mo::Solution s = mo::solve({0.1, 1.2});
  mo::Moments image = mo::map({0.1, 1.2}, 0.0, 1.0, s.selu);
  CHECK(std::abs(image.mu - 0.1) < 1e-14);
  CHECK(std::abs(image.nu - 1.2) < 1e-14);
}

TEST_CASE("moment map: alpha-dropout a and b from docs/paper.md §2 and the moments they preserve") {
  AlphaDropoutCoefficients c05 = alpha_dropout_coefficients(0.05), c10 = alpha_dropout_coefficients(0.10);
  CHECK(std::abs(c05.a - 0.9548444760050308) < 1e-15);
  CHECK(std::abs(c05.b - 0.08393557219381026) < 1e-15);
  CHECK(std::abs(c10.a - 0.9212845161497115) < 1e-15);
  CHECK(std::abs(c10.b - 0.1619709700575702) < 1e-15);
  for (auto [rate, mu, nu] : {std::array{0.05, 0.0, 1.0}, std::array{0.1, 0.0, 1.0}, std::array{0.2, 0.3, 2.0},
                              std::array{0.5, -0.4, 0.5}}) {
    AlphaDropoutCoefficients c = alpha_dropout_coefficients(rate, mu, nu);
    mo::Moments after = mo::alpha_dropout_moments({mu, nu}, rate, c);
    INFO("rate " << rate << " mu " << mu << " nu " << nu);
    CHECK(std::abs(after.mu - mu) < 1e-14);
    CHECK(std::abs(after.nu - nu) < 1e-14);
  }
}

TEST_CASE("moment map: Theorem 1 figures on a grid of Omega") {
  mo::Scan s = mo::scan({}, 11);
  CHECK(s.points == 11 * 11 * 11 * 11);
  CHECK(s.max_spectral_norm < 1);  // g is a contraction on Ω
  CHECK(std::abs(s.max_spectral_norm - 0.8976) < 5e-5);
  CHECK(std::abs(s.mu_tilde_min - -0.03106) < 5e-6);
  CHECK(std::abs(s.mu_tilde_max - 0.06773) < 5e-6);
  // The paper's ν̃ interval combines the extremes of ξ̃ and μ̃²; the true image lies inside it.
  CHECK(std::abs(s.nu_tilde_bound_lo - 0.80009) < 5e-6);
  CHECK(std::abs(s.nu_tilde_bound_hi - 1.48617) < 1e-5);
  CHECK(s.nu_tilde_min > s.nu_tilde_bound_lo);
  CHECK(s.nu_tilde_max < s.nu_tilde_bound_hi);
  // The vectorised Jacobian at the worst point agrees with the scalar one.
  mo::Jacobian j = mo::jacobian({s.argmax_mu, s.argmax_nu}, s.argmax_omega, s.argmax_tau);
  CHECK(std::abs(mo::spectral_norm(j) - s.max_spectral_norm) < 1e-13);
}

TEST_CASE("moment map: the scan gives the same bits with 1 and 2 threads") {
  test::require_same_bits_across_threads([] {
    const mo::Scan s = mo::scan({}, 15);  // 50625 points: chunks above the parallel grain
    return std::vector<double>{s.max_spectral_norm, s.mu_tilde_min, s.nu_tilde_max};
  });
}

TEST_CASE("moment map: variance iterates from 0.1 climb to 1 (docs/paper.md §4)") {
  const std::vector<double> expected = {0.1499, 0.2128, 0.2864, 0.3668, 0.4494};
  mo::Moments at{0.0, 0.1};
  for (double nu : expected) {
    at = mo::map(at, 0.0, 1.0);
    CHECK(std::abs(at.nu - nu) < 5e-5);
  }
  for (int i = 0; i < 200; ++i) at = mo::map(at, 0.0, 1.0);
  CHECK(std::abs(at.nu - 1) < 1e-12);
}

TEST_CASE("moment map: Theorems 2 and 3 -- large variances shrink, small ones grow") {
  for (double mu : {-1.0, 0.0, 1.0})
    for (double omega : {-0.1, 0.1})
      for (double tau : {0.8, 1.25}) {
        CHECK(mo::map({mu, 16.0}, omega, tau).nu < 16.0);
        CHECK(mo::map({mu, 3.0}, omega, tau).nu < 3.0);
        CHECK(mo::map({mu * 0.1, 0.05}, omega, tau).nu > 0.05);
      }
}

TEST_CASE("moment map: deep random SELU nets -- LeCun normalises, gain 3/4 collapses, He explodes") {
  mo::DeepNet net{40, 384, 64, mo::Init::lecun, {1.0, 9.0}, 3};
  std::vector<mo::Moments> lecun = mo::deep_moments(net);
  REQUIRE(lecun.size() == 40);
  // Layer 1 against docs/paper.md §4's (0.66, 6.17); the spread is that of 384 random units' ω.
  CHECK(std::abs(lecun[0].mu - 0.66) < 0.15);
  CHECK(std::abs(lecun[0].nu - 6.17) < 1.0);
  for (int layer : {30, 35, 40}) {
    CHECK(std::abs(lecun[layer - 1].mu) < 0.05);
    CHECK(std::abs(lecun[layer - 1].nu - 1) < 0.1);
  }
  net.init = mo::Init::gain075;
  std::vector<mo::Moments> gain = mo::deep_moments(net);
  CHECK(gain.back().nu < 0.1);
  net.init = mo::Init::he;
  std::vector<mo::Moments> he = mo::deep_moments(net);
  CHECK(he.back().nu > 100);
}

TEST_CASE("moment map: bad arguments throw tg::Error naming the function") {
  REQUIRE_THROWS_WITH(mo::map({0.0, -1.0}, 0.0, 1.0), Catch::Contains("moments::map") && Catch::Contains("nu"));
  REQUIRE_THROWS_WITH(mo::map({0.0, 1.0}, 0.0, 0.0), Catch::Contains("moments::map") && Catch::Contains("tau"));
  REQUIRE_THROWS_WITH(mo::map({0.0, 400.0}, 0.0, 1.0), Catch::Contains("moments::map") && Catch::Contains("finite"));
  REQUIRE_THROWS_WITH(mo::jacobian({0.0, 0.0}, 0.0, 1.0), Catch::Contains("moments::map"));
  REQUIRE_THROWS_WITH(mo::solve({0.0, 0.0}), Catch::Contains("moments::solve"));
  REQUIRE_THROWS_WITH(mo::scan({}, 1), Catch::Contains("moments::scan") && Catch::Contains("1"));
  REQUIRE_THROWS_WITH(mo::parse_init("xavier"), Catch::Contains("xavier"));
  REQUIRE_THROWS_WITH(mo::deep_moments({10, 0, 8, mo::Init::lecun, {0.0, 1.0}, 0}),
                      Catch::Contains("moments::deep_moments"));
  REQUIRE_THROWS_WITH(mo::map(tensor({1.0}), tensor({0.0}), tensor({1.0}), tensor({1.0}), tensor({1.0}), tensor({1.0})),
                      Catch::Contains("moments::map") && Catch::Contains("float32"));
  {
    NoGrad no_grad;
    REQUIRE_THROWS_WITH(mo::jacobian({0.0, 1.0}, 0.0, 1.0), Catch::Contains("NoGrad"));
  }
}

TEST_CASE("moment map: jacobian leaves the caller's tape untouched") {
  Tensor x = tensor({0.5, -0.5}, DType::float64);
  x.requires_grad(true);
  Tensor y = selu(x);
  const std::size_t before = tape().size();
  mo::jacobian({0.1, 1.1}, 0.05, 1.0);
  CHECK(tape().size() == before);
  backward(y, ones({2}, DType::float64));
  CHECK(x.grad().at({0}) == Approx(kSeluLambda<double>));
}

TEST_CASE("moment map: the variance of a saturated unit is positive and accurate, not a cancellation") {
  const double la = kSeluLambda<double> * kSeluAlpha<double>, lambda = kSeluLambda<double>;
  // μ = 4, ω = −4, ν = 0.01, τ = 1: z ~ N(−16, 0.01) lies below 0 with probability 1 − Φ(−160), so
  // selu z = λα(eᶻ − 1) and the variance is the lognormal one, (λα)²·e^(2m + s²)·expm1(s²) ≈ 4.0e−16,
  // computed here without any subtraction of near-equal numbers.
  {
    const double m = -16, s2 = 0.01;
    const double exact = la * la * std::exp(2 * m + s2) * std::expm1(s2);
    const mo::Moments g = mo::map({4.0, 0.01}, -4.0, 1.0);
    CHECK(g.nu > 0);
    CHECK(g.nu == Approx(exact).epsilon(1e-10));
    CHECK(exact == Approx(3.97e-16).epsilon(0.01));
  }
  // Deep in the linear part (z ~ N(16, 0.01)): selu z = λz, variance λ²·s².
  CHECK(mo::map({4.0, 0.01}, 4.0, 1.0).nu == Approx(lambda * lambda * 0.01).epsilon(1e-12));
  // A tiny variance stays a tiny positive variance: at m = −1 selu's slope is λα·e⁻¹, so
  // ν̃ ≈ (λα/e)²·ντ.
  const mo::Moments tiny = mo::map({-1.0, 1e-300}, 1.0, 1.0);
  CHECK(std::isfinite(tiny.mu));
  CHECK(tiny.nu > 0);
  CHECK(tiny.nu == Approx(la * la * std::exp(-2.0) * 1e-300).epsilon(1e-6));
  // The variance agrees with the closed form where that does not cancel.
  for (const mo::Moments at : {mo::Moments{0.0, 1.0}, mo::Moments{0.3, 1.7}, mo::Moments{-0.8, 0.2}}) {
    const double x = at.mu * 0.5, v = at.nu * 1.3;
    const Tensor nu = mo::map(tensor({at.mu}, DType::float64), tensor({0.5}, DType::float64),
                              tensor({at.nu}, DType::float64), tensor({1.3}, DType::float64),
                              tensor({kSeluAlpha<double>}, DType::float64), tensor({lambda}, DType::float64))
                          .nu_tilde;
    INFO("x " << x << " v " << v);
    CHECK(mo::map(at, 0.5, 1.3).nu == Approx(nu.item()).epsilon(1e-13));
  }
}

TEST_CASE("moment map: a Jacobian that is not finite in double is an error, not NaN") {
  REQUIRE_THROWS_WITH(mo::jacobian({0.0, 1e-300}, 0.0, 1.0),
                      Catch::Contains("moments::jacobian") && Catch::Contains("not finite"));
}
