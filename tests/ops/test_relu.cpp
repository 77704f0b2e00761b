// relu (ops/relu.cpp): the checks of unary_test.h (exact forward; gradients away from the kink),
// and what the gradient is at and around 0.
#include "unary_test.h"

using namespace tg;
using test::Domain;

TEST_CASE("relu forward matches the double reference") {
  test::require_unary_forward(relu, [](double v) { return v > 0 ? v : 0.0; }, Domain::any, 0.0, 0.0);
}
TEST_CASE("relu gradient matches finite differences") { test::require_unary_gradcheck(relu, Domain::away_from_zero); }
TEST_CASE("relu gradient passes gy where x > 0 and nothing elsewhere") {
  Tensor x = tensor({-1.0, 0.0, 2.0}, DType::float64);
  x.requires_grad(true);
  backward(relu(x), tensor({5.0, 6.0, 7.0}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 7});
}
TEST_CASE("relu rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(relu, "relu"); }
TEST_CASE("relu gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(relu);
}
