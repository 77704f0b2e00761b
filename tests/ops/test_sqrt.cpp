// sqrt (ops/sqrt.cpp), through the checks of unary_test.h, on positive inputs.
#include <cmath>

#include "unary_test.h"

using namespace tg;
using test::Domain;

TEST_CASE("sqrt forward matches the double reference") {
  test::require_unary_forward(tg::sqrt, [](double v) { return std::sqrt(v); }, Domain::positive);
}
TEST_CASE("sqrt gradient matches finite differences") { test::require_unary_gradcheck(tg::sqrt, Domain::positive); }
TEST_CASE("sqrt rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(tg::sqrt, "sqrt"); }
TEST_CASE("sqrt gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(tg::sqrt);
}
