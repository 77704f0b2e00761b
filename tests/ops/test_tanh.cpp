// tanh (ops/tanh.cpp), through the checks of unary_test.h.
#include <cmath>

#include "unary_test.h"

using namespace tg;

TEST_CASE("tanh forward matches the double reference") {
  test::require_unary_forward(tg::tanh, [](double v) { return std::tanh(v); });
}
TEST_CASE("tanh gradient matches finite differences") { test::require_unary_gradcheck(tg::tanh); }
TEST_CASE("tanh rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(tg::tanh, "tanh"); }
TEST_CASE("tanh gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(tg::tanh);
}
