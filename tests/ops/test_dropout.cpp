#include <cmath>
#include <limits>

#include "autograd/tape.h"
#include "ops/dropout.h"
#include "dropout_test.h"
#include "support.h"

using namespace tg;

namespace {
// dropout as the shared checks of dropout_test.h call it, with a generator or a seed.
const auto kDropout = [](const Tensor& x, double p, bool training, auto&& gen) { return dropout(x, p, training, gen); };

// Double-precision reference: element i is kept when uniform_at(seed, first + i) < 1 − p.
std::vector<double> dropout_reference(const Tensor& x, double p, std::uint64_t seed, std::uint64_t first = 0) {
  std::vector<double> y = x.to_vector();
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = uniform_at(seed, first + i) < 1 - p ? y[i] / (1 - p) : 0.0;
  return y;
}
}  // namespace

TEST_CASE("dropout forward matches the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({n}, dtype, 3, 2.0);
      Generator gen(17, 5);  // a non-zero offset: the mask must start at counter 5
      Tensor y = dropout(x, 0.3, true, gen);
      INFO(dtype_name(dtype) << " n=" << n);
      REQUIRE(test::max_rel_diff(y, dropout_reference(x, 0.3, 17, 5)) <= (dtype == DType::float32 ? 1e-6 : 1e-15));
      REQUIRE(gen.offset() == 5 + static_cast<std::uint64_t>(n));
    }
  }
}

TEST_CASE("dropout's mask is bernoulli(1 - p) from the same generator state") {
  const double p = 0.25;
  Generator g1(9, 100), g2(9, 100);
  Tensor y = dropout(ones({4097}, DType::float64), p, true, g1);
  std::vector<double> mask = bernoulli({4097}, 1 - p, g2, DType::float64).to_vector(), got = y.to_vector();
  for (std::size_t i = 0; i < mask.size(); ++i) REQUIRE(got[i] == mask[i] / (1 - p));
  CHECK(g1.offset() == g2.offset());
}

TEST_CASE("dropout keeps the mean and drops a fraction p of the elements") {
  const std::int64_t n = 1000000;
  for (double p : {0.1, 0.5}) {
    Tensor x = test::random_tensor({n}, DType::float64, 21, 1.0, 1.0);  // N(1, 1)
    std::vector<double> y = dropout(x, p, true, std::uint64_t{4}).to_vector();
    double sum = 0, squares = 0;
    std::int64_t kept = 0;
    for (double v : y) sum += v, squares += v * v, kept += v != 0;
    const double mean = sum / n, var = squares / n - mean * mean;
    INFO("p=" << p << " mean=" << mean << " kept=" << kept);
    CHECK(std::abs(mean - 1.0) < 3 * std::sqrt(var / n));
    CHECK(std::abs(static_cast<double>(kept) / n - (1 - p)) < 3 * std::sqrt(p * (1 - p) / n));
  }
}

TEST_CASE("dropout in eval mode is the identity and records nothing") {
  test::require_dropout_eval_is_identity(kDropout, 0.5);
}

TEST_CASE("dropout: the same seed gives the same mask, another seed or a later draw another") {
  test::require_dropout_masks_follow_the_seed(kDropout, 0.5);
}

TEST_CASE("dropout with p = 0 keeps everything") {
  Tensor x = test::random_tensor({37});
  CHECK(dropout(x, 0.0, true, std::uint64_t{1}).to_vector() == x.to_vector());
}

TEST_CASE("dropout output is bit-identical with 1 and 2 threads") {
  test::require_dropout_same_bits_across_threads(kDropout, 0.2);
}

TEST_CASE("dropout gradient matches finite differences") {
  test::require_dropout_gradcheck(kDropout, {0.2, 0.5});
}

TEST_CASE("dropout gradient is the scaled mask m / (1 - p) and accumulates") {
  const double p = 0.4;
  Tensor x = test::random_tensor({2, 50});
  x.requires_grad(true);
  Tensor y1 = dropout(x, p, true, std::uint64_t{6}), y2 = dropout(x, p, true, std::uint64_t{6});
  backward(y1, ones({2, 50}, DType::float64), /*retain_tape=*/true);
  backward(y2, ones({2, 50}, DType::float64));
  std::vector<double> g = x.grad().to_vector(), reference = dropout_reference(ones({100}, DType::float64), p, 6);
  for (std::size_t i = 0; i < g.size(); ++i) REQUIRE(g[i] == Approx(2 * reference[i]).epsilon(1e-15));
}

TEST_CASE("dropout rejects p outside [0, 1) and integer tensors, naming the op") {
  Tensor x = test::random_tensor({2, 3});
  REQUIRE_THROWS_WITH(dropout(x, 1.2, true, std::uint64_t{1}), "dropout: p 1.2 is outside [0, 1)");
  REQUIRE_THROWS_WITH(dropout(x, 1.0, true, std::uint64_t{1}), Catch::Contains("dropout") && Catch::Contains("[0, 1)"));
  REQUIRE_THROWS_WITH(dropout(x, -0.1, false, std::uint64_t{1}), Catch::Contains("dropout: p -0.1"));
  REQUIRE_THROWS_AS(dropout(x, std::numeric_limits<double>::quiet_NaN(), true, std::uint64_t{1}), Error);
  REQUIRE_THROWS_WITH(dropout(labels({1, 2}), 0.5, true, std::uint64_t{1}),
                      Catch::Contains("dropout") && Catch::Contains("[2] int64"));
}
