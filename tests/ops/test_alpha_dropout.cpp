#include <cmath>

#include "autograd/tape.h"
#include "ops/dropout.h"
#include "dropout_test.h"
#include "support.h"

using namespace tg;

namespace {
// alpha_dropout as the shared checks of dropout_test.h call it, with a generator or a seed.
const auto kAlphaDropout = [](const Tensor& x, double rate, bool training, auto&& gen) {
  return alpha_dropout(x, rate, training, gen);
};

const double kAlphaPrime = -1.0507009873554804934193349852946 * 1.6732632423543772848170429916717;  // −λα

// Double-precision reference, docs/paper.md §2: y = a·(x·d + α'(1−d)) + b, d_i the 16-bit mask
// draw below round(q·2^16), and a, b from the keep probability q' that threshold realises.
std::vector<double> alpha_dropout_reference(const Tensor& x, double rate, std::uint64_t seed) {
  const double q = test::realised_keep(1 - rate), a = std::pow(q + kAlphaPrime * kAlphaPrime * q * (1 - q), -0.5);
  const double b = -a * (1 - q) * kAlphaPrime;
  std::vector<double> y = x.to_vector();
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double d = test::mask_kept(seed, 0, i, 1 - rate) ? 1.0 : 0.0;
    y[i] = a * (y[i] * d + kAlphaPrime * (1 - d)) + b;
  }
  return y;
}

double relative_error(double got, double expected) { return std::abs(got - expected) / std::abs(expected); }
}  // namespace

TEST_CASE("alpha_dropout_coefficients match the paper's table (docs/paper.md §2) to 1e-15") {
  AlphaDropoutCoefficients c05 = alpha_dropout_coefficients(0.05), c10 = alpha_dropout_coefficients(0.10);
  CHECK(relative_error(c05.a, 0.9548444760050308) <= 1e-15);
  CHECK(relative_error(c05.b, 0.08393557219381026) <= 1e-15);
  CHECK(relative_error(c10.a, 0.9212845161497115) <= 1e-15);
  CHECK(relative_error(c10.b, 0.1619709700575702) <= 1e-15);
  CHECK(relative_error(c05.alpha_prime, -1.7580993408473766) <= 1e-15);
}

TEST_CASE("alpha_dropout_coefficients at (0, 1) equal the paper's closed form") {
  for (double rate : {0.0, 0.01, 0.05, 0.1, 0.2, 0.5, 0.9}) {
    const double q = 1 - rate, a = std::pow(q + kAlphaPrime * kAlphaPrime * q * (1 - q), -0.5);
    AlphaDropoutCoefficients c = alpha_dropout_coefficients(rate);
    INFO("rate=" << rate);
    CHECK(std::abs(c.a - a) <= 1e-15 * a);
    CHECK(std::abs(c.b - (-a * (1 - q) * kAlphaPrime)) <= 1e-15);
  }
  CHECK(alpha_dropout_coefficients(0.0).a == 1.0);
  CHECK(alpha_dropout_coefficients(0.0).b == 0.0);
}

TEST_CASE("alpha_dropout_coefficients preserve a general mean and variance in expectation") {
  // For x with mean μ and variance ν and d ~ Bernoulli(q) independent of x, z = x·d + α'(1−d) has
  // E[z] = qμ + (1−q)α' and E[z²] = q(ν + μ²) + (1−q)α'²; y = a·z + b must have mean μ, variance ν.
  for (auto [mu, nu] : {std::pair{0.0, 1.0}, {0.5, 2.0}, {-0.3, 0.5}, {1.0, 3.0}, {-2.0, 0.1}}) {
    for (double rate : {0.05, 0.1, 0.2, 0.5}) {
      AlphaDropoutCoefficients c = alpha_dropout_coefficients(rate, mu, nu);
      const double q = 1 - rate, alpha_prime = c.alpha_prime;
      const double ez = q * mu + (1 - q) * alpha_prime;
      const double ez2 = q * (nu + mu * mu) + (1 - q) * alpha_prime * alpha_prime;
      const double mean_y = c.a * ez + c.b, var_y = c.a * c.a * (ez2 - ez * ez);
      INFO("mu=" << mu << " nu=" << nu << " rate=" << rate);
      CHECK(std::abs(mean_y - mu) <= 1e-12);
      CHECK(std::abs(var_y - nu) <= 1e-12 * nu);
      CHECK(c.a > 0);
    }
  }
}

TEST_CASE("alpha_dropout forward matches the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({n}, dtype, 3, 2.0);
      Generator gen(17);
      Tensor y = alpha_dropout(x, 0.1, true, gen);
      INFO(dtype_name(dtype) << " n=" << n);
      REQUIRE(test::max_rel_diff(y, alpha_dropout_reference(x, 0.1, 17)) <= (dtype == DType::float32 ? 1e-6 : 1e-15));
      REQUIRE(gen.offset() == test::mask_counters(n));
    }
  }
}

TEST_CASE("alpha_dropout keeps mean 0 and variance 1 of standard-normal input within 3 sigma") {
  const std::int64_t n = 1000000;
  Tensor x = test::random_tensor({n}, DType::float64, 2024);
  for (double rate : {0.05, 0.10}) {
    AlphaDropoutCoefficients c = alpha_dropout_coefficients(1 - test::realised_keep(1 - rate));
    std::vector<double> y = alpha_dropout(x, rate, true, std::uint64_t{77}).to_vector();
    double sum = 0;
    std::int64_t dropped = 0;
    const double dropped_value = c.a * c.alpha_prime + c.b;
    for (double v : y) sum += v, dropped += v == dropped_value;
    const double mean = sum / n;
    double m2 = 0, m4 = 0;
    for (double v : y) {
      const double d = (v - mean) * (v - mean);
      m2 += d, m4 += d * d;
    }
    const double var = m2 / n;
    m4 /= n;
    const double sigma_mean = std::sqrt(var / n), sigma_var = std::sqrt((m4 - var * var) / n);
    INFO("rate=" << rate << " mean=" << mean << " (sigma " << sigma_mean << ") var=" << var << " (sigma " << sigma_var
                 << ") dropped=" << dropped);
    CHECK(std::abs(mean) < 3 * sigma_mean);
    CHECK(std::abs(var - 1.0) < 3 * sigma_var);
    // A kept element equals the dropped value with probability 0, so this counts the mask.
    CHECK(std::abs(static_cast<double>(dropped) / n - rate) < 3 * std::sqrt(rate * (1 - rate) / n));
  }
}

TEST_CASE("alpha_dropout in eval mode is the identity and records nothing") {
  test::require_dropout_eval_is_identity(kAlphaDropout, 0.05);
}

TEST_CASE("alpha_dropout: the same seed gives the same mask, another seed or a later draw another") {
  test::require_dropout_masks_follow_the_seed(kAlphaDropout, 0.1);
}

TEST_CASE("alpha_dropout output and gradient are bit-identical with 1 and 2 threads") {
  test::require_dropout_same_bits_across_threads(kAlphaDropout, 0.1);
}

TEST_CASE("alpha_dropout gradient matches finite differences") {
  test::require_dropout_gradcheck(kAlphaDropout, {0.1, 0.5});
}

TEST_CASE("alpha_dropout gradient is a·d") {
  const double rate = 0.3;
  AlphaDropoutCoefficients c = alpha_dropout_coefficients(1 - test::realised_keep(1 - rate));
  Tensor x = test::random_tensor({64});
  x.requires_grad(true);
  backward(alpha_dropout(x, rate, true, std::uint64_t{2}), ones({64}, DType::float64));
  std::vector<double> g = x.grad().to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) REQUIRE(g[i] == (test::mask_kept(2, 0, i, 1 - rate) ? c.a : 0.0));
}

TEST_CASE("alpha_dropout rejects a rate outside [0, 1) and integer tensors, naming the op") {
  Tensor x = test::random_tensor({2, 3});
  REQUIRE_THROWS_WITH(alpha_dropout(x, 1.2, true, std::uint64_t{1}), "alpha_dropout: rate 1.2 is outside [0, 1)");
  REQUIRE_THROWS_WITH(alpha_dropout(x, 1.0, false, std::uint64_t{1}), Catch::Contains("alpha_dropout: rate 1"));
  REQUIRE_THROWS_WITH(alpha_dropout(labels({1, 2}), 0.1, true, std::uint64_t{1}),
                      Catch::Contains("alpha_dropout") && Catch::Contains("[2] int64"));
  REQUIRE_THROWS_WITH(alpha_dropout_coefficients(-0.5), Catch::Contains("alpha_dropout_coefficients: rate -0.5"));
  REQUIRE_THROWS_WITH(alpha_dropout_coefficients(0.1, 0.0, 0.0), Catch::Contains("alpha_dropout_coefficients"));
}
