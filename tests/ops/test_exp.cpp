// exp (ops/exp.cpp), through the checks of unary_test.h.
#include <cmath>

#include "unary_test.h"

using namespace tg;

TEST_CASE("exp forward matches the double reference") {
  test::require_unary_forward(tg::exp, [](double v) { return std::exp(v); });
}
TEST_CASE("exp gradient matches finite differences") { test::require_unary_gradcheck(tg::exp); }
TEST_CASE("exp rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(tg::exp, "exp"); }
TEST_CASE("exp gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(tg::exp);
}
