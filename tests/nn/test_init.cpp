#include <cmath>

#include "autograd/tape.h"
#include "nn/nn.h"
#include "ops/matmul.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

namespace {
std::pair<double, double> moments(const Tensor& t) {
  double s = 0, s2 = 0;
  for (double v : t.to_vector()) s += v, s2 += v * v;
  const double n = static_cast<double>(t.numel()), mean = s / n;
  return {mean, s2 / n - mean * mean};
}
}  // namespace

TEST_CASE("initialisers draw with the stated moments") {
  Generator gen(9);
  Tensor w = empty({1000, 500}, DType::float64);
  const double n = 500000;
  nn::init::lecun_normal(w, gen);
  auto [m1, v1] = moments(w);
  CHECK(std::abs(m1) < 5 * std::sqrt(1.0 / 500 / n));
  CHECK(v1 == Approx(1.0 / 500).epsilon(0.01));
  nn::init::he_normal(w, gen);
  CHECK(moments(w).second == Approx(2.0 / 500).epsilon(0.01));
  nn::init::glorot_uniform(w, gen);
  const double limit = std::sqrt(6.0 / 1500);
  CHECK(moments(w).second == Approx(limit * limit / 3).epsilon(0.01));
  for (double v : w.to_vector()) REQUIRE(std::abs(v) <= limit);
  nn::init::constant(w, 0.5);
  CHECK(w.at({3, 7}) == 0.5);
  nn::init::zeros(w);
  CHECK(moments(w).second == 0.0);
  REQUIRE_THROWS_WITH(nn::init::lecun_normal(zeros({3}), gen), Catch::Contains("lecun_normal") && Catch::Contains("[3]"));
}

// Note [The SELU gain trap] in nn/init.h, as a regression test: 32 SELU layers of width 512
// keep (mean, variance) near the fixed point (0, 1) with lecun_normal, and collapse with
// PyTorch's SELU gain 3/4 (τ = 9/16).
TEST_CASE("a 32-layer SELU stack self-normalises with lecun_normal and collapses with gain 3/4") {
  const std::int64_t width = 512, batch = 256;
  for (double gain : {1.0, 0.75}) {
    Generator gen(21);
    Tensor h = randn({batch, width}, gen, DType::float32, 0.0, 1.0);
    NoGrad no_grad;
    for (int layer = 0; layer < 32; ++layer) {
      Tensor w = empty({width, width});
      nn::init::normal(w, gen, 0.0, gain / std::sqrt(static_cast<double>(width)));
      h = selu(matmul(h, w, false, true));
    }
    auto [mean, var] = moments(h);
    INFO("gain " << gain << ": mean " << mean << ", variance " << var);
    if (gain == 1.0) {
      CHECK(std::abs(mean) < 0.1);
      CHECK(std::abs(var - 1.0) < 0.15);
    } else {
      CHECK(var < 0.1);
    }
  }
}

TEST_CASE("PyTorch's initialisers use its gains, fans and defaults") {
  using nn::init::FanMode;
  using nn::init::Nonlinearity;
  CHECK(nn::init::calculate_gain(Nonlinearity::linear) == 1.0);
  CHECK(nn::init::calculate_gain(Nonlinearity::tanh) == Approx(5.0 / 3));
  CHECK(nn::init::calculate_gain(Nonlinearity::relu) == Approx(std::sqrt(2.0)));
  CHECK(nn::init::calculate_gain(Nonlinearity::leaky_relu) == Approx(std::sqrt(2.0 / (1 + 0.01 * 0.01))));
  CHECK(nn::init::calculate_gain(Nonlinearity::leaky_relu, 0.2) == Approx(std::sqrt(2.0 / 1.04)));

  Generator gen(11);
  Tensor w = empty({400, 1000}, DType::float64);  // fan_in 1000, fan_out 400
  nn::init::kaiming_uniform(w, gen);  // a = 0, fan_in, leaky_relu: bound √(6/fan_in)
  const double bound = std::sqrt(6.0 / 1000);
  for (double v : w.to_vector()) REQUIRE(std::abs(v) <= bound);
  CHECK(moments(w).second == Approx(bound * bound / 3).epsilon(0.01));
  nn::init::kaiming_normal(w, gen, 0.0, FanMode::fan_out, Nonlinearity::relu);
  CHECK(moments(w).second == Approx(2.0 / 400).epsilon(0.01));
  nn::init::kaiming_normal(w, gen, 0.0, FanMode::fan_in, Nonlinearity::linear);  // the SNN scaling
  CHECK(moments(w).second == Approx(1.0 / 1000).epsilon(0.01));
  nn::init::xavier_normal(w, gen, 2.0);
  CHECK(moments(w).second == Approx(4.0 * 2.0 / 1400).epsilon(0.01));
  nn::init::xavier_uniform(w, gen);
  const double limit = std::sqrt(6.0 / 1400);
  for (double v : w.to_vector()) REQUIRE(std::abs(v) <= limit);
  CHECK(moments(w).second == Approx(limit * limit / 3).epsilon(0.01));

  // glorot_uniform is xavier_uniform with gain 1, draw for draw.
  Tensor a = empty({30, 20}), b = empty({30, 20});
  Generator g1(3), g2(3);
  nn::init::glorot_uniform(a, g1);
  nn::init::xavier_uniform(b, g2);
  CHECK(a.to_vector() == b.to_vector());

  // A weight with more than two axes: fan_in = size(1)·r, fan_out = size(0)·r, r = 5·2.
  Tensor conv = empty({8, 40, 5, 2}, DType::float64);
  nn::init::kaiming_normal(conv, gen, 0.0, FanMode::fan_in, Nonlinearity::linear);
  CHECK(moments(conv).second == Approx(1.0 / 400).epsilon(0.02));
  REQUIRE_THROWS_WITH(nn::init::kaiming_uniform(zeros({5}), gen),
                      Catch::Contains("init::kaiming_uniform: fans need a weight with at least 2 axes, got [5] float32"));
  REQUIRE_THROWS_WITH(nn::init::xavier_normal(zeros({5}), gen), Catch::Contains("init::xavier_normal"));
}

TEST_CASE("orthogonal gives gain·Q with Q the QR factor of a Gaussian draw, deterministically") {
  for (const Shape& shape : {Shape{7, 3}, Shape{3, 7}, Shape{5, 5}, Shape{6, 2, 2}, Shape{1, 9}}) {
    INFO("shape " << shape);
    const std::int64_t rows = shape.size(0), cols = shape.numel() / rows;
    Tensor w = empty(shape, DType::float64);
    Generator gen(17);
    nn::init::orthogonal(w, gen, 1.5);
    const std::vector<double> q = w.to_vector();
    // Orthonormal columns (rows ≥ cols) or rows (rows < cols), times the gain.
    const bool tall = rows >= cols;
    const std::int64_t k = tall ? cols : rows, m = tall ? rows : cols;
    auto at = [&](std::int64_t i, std::int64_t j) { return tall ? q[i * cols + j] : q[j * cols + i]; };  // [m, k]
    for (std::int64_t a = 0; a < k; ++a)
      for (std::int64_t b = 0; b < k; ++b) {
        double dot = 0;
        for (std::int64_t i = 0; i < m; ++i) dot += at(i, a) * at(i, b);
        CHECK(dot == Approx(a == b ? 1.5 * 1.5 : 0.0).margin(1e-12));
      }
    // It is the Q of the Gaussian G drawn from the same seed: R = Qᵀ·G (tall; for wide the
    // transposes) is upper triangular with a positive diagonal.
    Generator again(17);
    const std::vector<double> g = randn({rows, cols}, again, DType::float64).to_vector();
    auto g_at = [&](std::int64_t i, std::int64_t j) { return tall ? g[i * cols + j] : g[j * cols + i]; };
    for (std::int64_t a = 0; a < k; ++a)
      for (std::int64_t b = 0; b < k; ++b) {
        double r = 0;
        for (std::int64_t i = 0; i < m; ++i) r += at(i, a) / 1.5 * g_at(i, b);
        if (a > b) CHECK(r == Approx(0.0).margin(1e-12));
        if (a == b) CHECK(r > 0);
      }
    Tensor w2 = empty(shape, DType::float64);
    Generator same(17);
    nn::init::orthogonal(w2, same, 1.5);
    CHECK(w2.to_vector() == q);
  }
  Generator gen(2);
  Tensor f = empty({64, 64});  // float32: orthogonal to float32 rounding
  nn::init::orthogonal(f, gen);
  double worst = 0;
  for (std::int64_t a = 0; a < 64; ++a)
    for (std::int64_t b = 0; b < 64; ++b) {
      double dot = 0;
      for (std::int64_t i = 0; i < 64; ++i) dot += f.at({i, a}) * f.at({i, b});
      worst = std::max(worst, std::abs(dot - (a == b)));
    }
  CHECK(worst < 1e-5);
  REQUIRE_THROWS_WITH(nn::init::orthogonal(zeros({4}), gen),
                      Catch::Contains("init::orthogonal: expected a weight with at least 2 axes, got [4] float32"));
}
