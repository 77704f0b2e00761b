#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

TEST_CASE("add_scalar, mul_scalar and neg forward match the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    const double tolerance = dtype == DType::float32 ? 1e-6 : 1e-14;
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({n}, dtype, 3, 2.0);
      std::vector<double> plus, times, minus;
      for (double v : x.to_vector()) {
        plus.push_back(v + 0.75);
        times.push_back(v * -1.25);
        minus.push_back(-v);
      }
      INFO(dtype_name(dtype) << " n=" << n);
      REQUIRE(test::max_rel_diff(add_scalar(x, 0.75), plus) <= tolerance);
      REQUIRE(test::max_rel_diff(mul_scalar(x, -1.25), times) <= tolerance);
      REQUIRE(test::max_rel_diff(neg(x), minus) == 0.0);
    }
  }
}

TEST_CASE("scalar operators on tensors") {
  Tensor x = tensor({1.0, -2.0, 4.0}, DType::float64);
  CHECK((x + 1.0).to_vector() == std::vector<double>{2, -1, 5});
  CHECK((1.0 + x).to_vector() == std::vector<double>{2, -1, 5});
  CHECK((x - 1.0).to_vector() == std::vector<double>{0, -3, 3});
  CHECK((1.0 - x).to_vector() == std::vector<double>{0, 3, -3});
  CHECK((x * 2.0).to_vector() == std::vector<double>{2, -4, 8});
  CHECK((2.0 * x).to_vector() == std::vector<double>{2, -4, 8});
  CHECK((x / 4.0).to_vector() == std::vector<double>{0.25, -0.5, 1});
  CHECK((-x).to_vector() == std::vector<double>{-1, 2, -4});
}

TEST_CASE("add_scalar gradient matches finite differences") {
  for (std::int64_t n : {1, 5, 37}) {
    Tensor x = test::random_tensor({n}, DType::float64, 11);
    x.requires_grad(true);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return add_scalar(in[0], -3.5); }, {x});
  }
}

TEST_CASE("mul_scalar gradient matches finite differences") {
  for (std::int64_t n : {1, 5, 37}) {
    Tensor x = test::random_tensor({2, n}, DType::float64, 12);
    x.requires_grad(true);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return mul_scalar(in[0], 2.5); }, {x});
  }
}

TEST_CASE("neg gradient matches finite differences") {
  Tensor x = test::random_tensor({3, 5}, DType::float64, 13);
  x.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return neg(in[0]); }, {x});
  // The gradient is exactly −gy.
  backward(neg(x), tensor(std::vector<double>(15, 0.5), {3, 5}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>(15, -0.5));
}

TEST_CASE("mul_scalar gradient accumulates when its input fans out") {
  Tensor x = tensor({1.0, 2.0}, DType::float64);
  x.requires_grad(true);
  backward(mul_scalar(x, 3.0) + add_scalar(x, 1.0), ones({2}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{4, 4});
}

TEST_CASE("scalar ops reject an int64 tensor naming the op") {
  REQUIRE_THROWS_WITH(add_scalar(labels({1, 2}), 1.0), Catch::StartsWith("add_scalar") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(mul_scalar(labels({1, 2}), 1.0), Catch::StartsWith("mul_scalar") && Catch::Contains("int64"));
}
