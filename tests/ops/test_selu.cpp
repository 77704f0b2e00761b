#include <cmath>

#include "autograd/tape.h"
#include "ops/constants.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

namespace {
// Double-precision scalar reference, straight from docs/paper.md §1.
double selu_reference(double x) {
  const double alpha = 1.6732632423543772848170429916717, lambda = 1.0507009873554804934193349852946;
  return x > 0 ? lambda * x : lambda * alpha * (std::exp(x) - 1);
}
}  // namespace

TEST_CASE("selu forward matches the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({n}, dtype, 3, 2.0);
      std::vector<double> expected;
      for (double v : x.to_vector()) expected.push_back(selu_reference(v));
      INFO(dtype_name(dtype) << " n=" << n);
      REQUIRE(test::max_rel_diff(selu(x), expected) <= (dtype == DType::float32 ? 1e-6 : 1e-14));
    }
  }
}

TEST_CASE("selu spot values and saturation from docs/paper.md §1") {
  Tensor y = selu(tensor({1.0, -1.0, -50.0, 0.0}, DType::float64));
  CHECK(y.at({0}) == Approx(1.0507010).epsilon(1e-7));
  CHECK(y.at({1}) == Approx(-1.1113307).epsilon(1e-7));
  CHECK(y.at({2}) == Approx(-1.7580993408473766).epsilon(1e-15));
  CHECK(y.at({3}) == 0.0);
}

TEST_CASE("selu gradient matches finite differences") {
  for (std::int64_t n : {1, 4, 5, 37}) {
    Tensor x = test::random_tensor({n}, DType::float64, 11, 2.0);
    x.requires_grad(true);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return selu(in[0]); }, {x});
  }
}

TEST_CASE("selu gradient accumulates when its input fans out") {
  Tensor x = tensor({0.5, -0.5}, DType::float64);
  x.requires_grad(true);
  Tensor y1 = selu(x), y2 = selu(x);  // two uses of x: two records that both add into x.grad
  backward(y1, ones({2}, DType::float64), /*retain_tape=*/true);
  backward(y2, ones({2}, DType::float64));
  CHECK(x.grad().at({0}) == Approx(2 * kSeluLambda<double>));
  CHECK(x.grad().at({1}) == Approx(2 * kSeluLambda<double> * kSeluAlpha<double> * std::exp(-0.5)));
}

TEST_CASE("selu rejects an int64 tensor naming the op") {
  REQUIRE_THROWS_WITH(selu(labels({1, 2})), Catch::Contains("selu") && Catch::Contains("int64"));
}
