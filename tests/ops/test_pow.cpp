// pow (ops/pow.cpp): the checks of unary_test.h over several exponents, and std::pow's special
// cases (zero, negative bases) in the forward and the gradient.
#include <cmath>

#include "unary_test.h"

using namespace tg;
using test::Domain;

namespace {
test::UnaryFn power(double p) {
  return [p](const Tensor& x) { return tg::pow(x, p); };
}
}  // namespace

TEST_CASE("pow forward matches the double reference") {
  for (double p : {2.5, -1.5, 0.5, 1.0, 0.0}) {
    INFO("p=" << p);
    test::require_unary_forward(power(p), [p](double v) { return std::pow(v, p); }, Domain::positive);
  }
  // Integer exponents of negative bases keep their sign.
  for (double p : {2.0, 3.0, -1.0}) {
    INFO("p=" << p);
    test::require_unary_forward(power(p), [p](double v) { return std::pow(v, p); }, Domain::away_from_zero);
  }
}
TEST_CASE("pow follows std::pow at zero and for non-integer powers of negative numbers") {
  for (DType dtype : {DType::float32, DType::float64}) {
    // 17 copies, so that SIMD batches and the scalar tail both see each value.
    for (double p : {2.0, 0.0, -1.0}) {
      Tensor y = tg::pow(zeros({17}, dtype), p);
      for (double v : y.to_vector()) CHECK(v == std::pow(0.0, p));
    }
    for (double v : tg::pow(full({17}, -2.0, dtype), 0.5).to_vector()) CHECK(std::isnan(v));
  }
}
TEST_CASE("pow gradient matches finite differences") {
  for (double p : {2.5, -1.5, 0.5, 3.0}) {
    INFO("p=" << p);
    test::require_unary_gradcheck(power(p), Domain::positive);
  }
  test::require_unary_gradcheck(power(3.0), Domain::away_from_zero);
}
TEST_CASE("pow gradient is 0 for p = 0, even at x = 0") {
  Tensor x = tensor({0.0, 2.0}, DType::float64);
  x.requires_grad(true);
  backward(tg::pow(x, 0.0), ones({2}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0});
}
TEST_CASE("pow rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(power(2.0), "pow"); }
TEST_CASE("pow gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(power(2.5));
}
