#include <cmath>

#include "tensor/random.h"
#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

namespace {
// Largest |a − b| / |b|: a truly relative error, for the tails where erfc is tiny.
double max_relative_error(const Tensor& a, const std::vector<double>& b) {
  const std::vector<double> va = a.to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < b.size(); ++i) worst = std::max(worst, std::abs(va[i] - b[i]) / std::abs(b[i]));
  return worst;
}
}  // namespace

TEST_CASE("erf and erfc forward match std::erf and std::erfc at sizes around the SIMD width") {
  for (std::int64_t n : test::kSimdSizes) {
    Tensor x32 = test::random_tensor({n}, DType::float32, 3, 2.0);
    Tensor x64 = test::random_tensor({n}, DType::float64, 3, 2.0);
    std::vector<double> erf32, erfc32, erf64, erfc64;
    for (double v : x32.to_vector()) {
      erf32.push_back(std::erf(v));
      erfc32.push_back(std::erfc(v));
    }
    for (double v : x64.to_vector()) {
      erf64.push_back(std::erf(v));
      erfc64.push_back(std::erfc(v));
    }
    INFO("n=" << n);
    // float32: absolute error (relative for values above 1).
    REQUIRE(test::max_rel_diff(erf(x32), erf32) <= 1e-6);
    REQUIRE(test::max_rel_diff(erfc(x32), erfc32) <= 1e-6);
    // float64: relative error.
    REQUIRE(max_relative_error(erf(x64), erf64) <= 1e-14);
    REQUIRE(max_relative_error(erfc(x64), erfc64) <= 1e-14);
  }
}

TEST_CASE("erfc in float64 keeps its relative precision deep in the tail") {
  // x in (2, 26): erfc falls from 5e-3 to 5e-296. xsimd's double erfc is off by up to 6e-9 here.
  Generator gen(5);
  Tensor x = rand({1003}, gen, DType::float64, 2.0, 26.0);
  std::vector<double> expected;
  for (double v : x.to_vector()) expected.push_back(std::erfc(v));
  REQUIRE(max_relative_error(erfc(x), expected) <= 1e-14);
  // And a known value: erfc(1/√2) = 0.31731050786291410283 (two-sided normal tail at 1σ).
  CHECK(erfc(tensor({1 / std::sqrt(2.0)}, DType::float64)).item() == Approx(0.31731050786291410283).epsilon(1e-15));
}

TEST_CASE("erf gradient matches finite differences") {
  for (std::int64_t n : {1, 5, 37}) {
    Tensor x = test::random_tensor({n}, DType::float64, 11, 1.5);
    x.requires_grad(true);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return erf(in[0]); }, {x});
  }
}

TEST_CASE("erfc gradient matches finite differences") {
  for (std::int64_t n : {1, 5, 37}) {
    Tensor x = test::random_tensor({n}, DType::float64, 12, 1.5);
    x.requires_grad(true);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return erfc(in[0]); }, {x});
  }
}

TEST_CASE("erf and erfc gradients are ±2/√π·exp(−x²)") {
  Tensor x = tensor({0.0, 1.0}, DType::float64);
  x.requires_grad(true);
  backward(erf(x), ones({2}, DType::float64));
  CHECK(x.grad().at({0}) == Approx(2 / std::sqrt(M_PI)).epsilon(1e-15));
  CHECK(x.grad().at({1}) == Approx(2 / std::sqrt(M_PI) * std::exp(-1.0)).epsilon(1e-15));
  x.zero_grad();
  backward(erfc(x), ones({2}, DType::float64));
  CHECK(x.grad().at({0}) == Approx(-2 / std::sqrt(M_PI)).epsilon(1e-15));
}

TEST_CASE("erf and erfc reject an int64 tensor naming the op") {
  REQUIRE_THROWS_WITH(erf(labels({1, 2})), Catch::StartsWith("erf") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(erfc(labels({1, 2})), Catch::StartsWith("erfc") && Catch::Contains("int64"));
}

TEST_CASE("erf and erfc give the same bits with 1 and 2 threads") {
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO(dtype_name(dtype));
    test::require_same_bits_across_threads([&] {
      Tensor x = test::random_tensor({100003}, dtype, 9, 2.0);
      x.requires_grad(true);
      Tensor y = erf(x), z = erfc(x);
      backward(y, ones(y.shape(), dtype), true);
      backward(z, ones(z.shape(), dtype));
      return std::vector<Tensor>{y, z, x.grad()};
    });
  }
}
