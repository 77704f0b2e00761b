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
