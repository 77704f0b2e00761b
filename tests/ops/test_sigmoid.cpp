// sigmoid (ops/sigmoid.cpp): the checks of unary_test.h, and its precision far from 0.
#include <cmath>

#include "unary_test.h"

using namespace tg;

TEST_CASE("sigmoid forward matches the double reference") {
  test::require_unary_forward(sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); });
}
TEST_CASE("sigmoid keeps full relative precision far out and never gives NaN") {
  Tensor y = sigmoid(tensor({-30.0, -700.0, -800.0, 800.0, 0.0}, DType::float64));
  CHECK(y.at({0}) == Approx(9.35762296883929895e-14).epsilon(1e-15));   // 1/(1 + e³⁰), 30 digits via mpmath
  CHECK(y.at({1}) == Approx(9.85967654375977086e-305).epsilon(1e-14));  // where 1 − y would round to 0
  CHECK(y.at({2}) == 0.0);                                               // e⁸⁰⁰ overflows: the limit, not NaN
  CHECK(y.at({3}) == 1.0);
  CHECK(y.at({4}) == 0.5);
  Tensor y32 = sigmoid(tensor({-100.0, 100.0}, DType::float32));
  CHECK(y32.at({0}) == 0.0);
  CHECK(y32.at({1}) == 1.0);
}
TEST_CASE("sigmoid gradient matches finite differences") { test::require_unary_gradcheck(sigmoid); }
TEST_CASE("sigmoid rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(sigmoid, "sigmoid"); }
TEST_CASE("sigmoid gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(sigmoid);
}
