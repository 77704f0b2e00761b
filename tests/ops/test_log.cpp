// log (ops/log.cpp), through the checks of unary_test.h, on positive inputs.
#include <cmath>

#include "unary_test.h"

using namespace tg;
using test::Domain;

TEST_CASE("log forward matches the double reference") {
  test::require_unary_forward(tg::log, [](double v) { return std::log(v); }, Domain::positive);
}
TEST_CASE("log gradient matches finite differences") { test::require_unary_gradcheck(tg::log, Domain::positive); }
TEST_CASE("log rejects an int64 tensor naming the op") { test::require_unary_rejects_int64(tg::log, "log"); }
TEST_CASE("log gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads(tg::log);
}
