// softplus (ops/softplus.cpp), through the checks of unary_test.h.
#include <cmath>

#include "unary_test.h"

using namespace tg;

TEST_CASE("softplus forward matches the double reference") {
  test::require_unary_forward(tg::softplus, [](double v) { return std::log1p(std::exp(v)); });
}
TEST_CASE("softplus gradient matches finite differences") { test::require_unary_gradcheck(tg::softplus); }
TEST_CASE("softplus rejects an int64 tensor naming the op") {
  test::require_unary_rejects_int64(tg::softplus, "softplus");
}
TEST_CASE("softplus gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(tg::softplus);
}
