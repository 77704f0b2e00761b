// elu (ops/elu.cpp): the checks of unary_test.h for the default alpha and others, and alpha's
// own check.
#include <cmath>

#include "unary_test.h"

using namespace tg;
using test::Domain;

namespace {
const double kOtherAlpha = 0.7;  // an ELU alpha other than the default 1
}  // namespace

TEST_CASE("elu forward matches the double reference") {
  for (double alpha : {1.0, kOtherAlpha, 0.0}) {
    INFO("alpha=" << alpha);
    test::require_unary_forward([alpha](const Tensor& x) { return elu(x, alpha); },
                                [alpha](double v) { return v > 0 ? v : alpha * std::expm1(v); });
  }
}
TEST_CASE("elu gradient matches finite differences") {
  for (double alpha : {1.0, kOtherAlpha}) {
    INFO("alpha=" << alpha);
    test::require_unary_gradcheck([alpha](const Tensor& x) { return elu(x, alpha); }, Domain::away_from_zero);
  }
}
TEST_CASE("elu rejects a negative alpha, naming the op") {
  REQUIRE_THROWS_WITH(elu(zeros({2, 3}), -1.0), Catch::StartsWith("elu") && Catch::Contains("[2, 3]"));
}
TEST_CASE("elu rejects an int64 tensor naming the op") {
  test::require_unary_rejects_int64([](const Tensor& x) { return elu(x); }, "elu");
}
TEST_CASE("elu gives the same bits with 1 and 2 threads, forward and backward") {
  test::require_unary_same_bits_across_threads([](const Tensor& x) { return elu(x); });
}
