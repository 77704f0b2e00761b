// square (ops/square.cpp), through the checks of unary_test.h.
#include "unary_test.h"

using namespace tg;

TEST_CASE("square forward matches the double reference") {
  test::require_unary_forward(square, [](double v) { return v * v; });
}
TEST_CASE("square gradient matches finite differences") { test::require_unary_gradcheck(square); }
TEST_CASE("square rejects an int64 tensor naming the op") {
  test::require_unary_rejects_int64(square, "square");
}
TEST_CASE("square gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(square);
}
