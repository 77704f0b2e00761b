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

// Double-precision reference: element i is kept when its 16-bit draw is below round((1 − p)·2^16),
// and scaled by 1/q for the keep probability q that threshold realises.
std::vector<double> dropout_reference(const Tensor& x, double p, std::uint64_t seed, std::uint64_t first = 0) {
  std::vector<double> y = x.to_vector();
  const double q = test::realised_keep(1 - p);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = test::mask_kept(seed, first, i, 1 - p) ? y[i] / q : 0.0;
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
      REQUIRE(gen.offset() == 5 + test::mask_counters(n));
    }
  }
}

TEST_CASE("dropout's mask is the 16-bit draws of its counters, eight per Philox call") {
  const double p = 0.25;  // 1 − p = 0.75 is a multiple of 2^-16: the scale is exactly 4/3
  Generator gen(9, 100);
  const std::int64_t n = 40961;  // several mask blocks and parallel chunks, ending mid-counter
  std::vector<double> got = dropout(ones({n}, DType::float64), p, true, gen).to_vector();
  for (std::int64_t i = 0; i < n; ++i) REQUIRE(got[i] == (test::mask_kept(9, 100, i, 1 - p) ? 1 / 0.75 : 0.0));
  CHECK(gen.offset() == 100 + test::mask_counters(n));
  // A keep probability that 2^-16 steps cannot hit exactly is realised as t/2^16, and the scale
  // is the inverse of that: the mean is kept for the mask actually drawn.
  CHECK(test::realised_keep(0.9) == 58982.0 / 65536.0);
  const std::vector<double> y = dropout(ones({64}, DType::float64), 0.1, true, std::uint64_t{3}).to_vector();
  for (double v : y) CHECK((v == 0 || v == 65536.0 / 58982.0));
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

TEST_CASE("dropout gradient is the scaled mask m / q and accumulates") {
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
  REQUIRE_THROWS_WITH(dropout(x, 1 - 1e-6, true, std::uint64_t{1}),
                      Catch::StartsWith("dropout") && Catch::Contains("2^-17"));
}
