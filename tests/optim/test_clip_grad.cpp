// clip_grad_norm and clip_grad_value against PyTorch 1.13 and a hand computation.
#include <cmath>

#include "optim/clip_grad.h"
#include "optim/optim_support.h"

using namespace tg;
using test::param;

namespace {
struct Params {
  Tensor a = param({0, 0}), b = zeros({2, 2}, DType::float64);
  Tensor c = param({7});  // never has a gradient: skipped
  Params() {
    b.requires_grad(true);
    test::set_grad(a, {3, -4});
    test::set_grad(b, {1, 2, -2, 0.5});
  }
  std::vector<Tensor> list() const { return {a, b, c}; }
  std::vector<double> grads() const {
    std::vector<double> out = a.grad().to_vector();
    for (double v : b.grad().to_vector()) out.push_back(v);
    return out;
  }
};
}  // namespace

TEST_CASE("clip_grad_norm returns the total norm and scales the gradients as PyTorch does") {
  // tests/optim/pytorch_reference.py, torch 1.13.1: clip_grad_norm_([a, b], max_norm=1) with
  // a.grad = [3, -4], b.grad = [[1, 2], [-2, 0.5]]: the total, then the clipped gradients.
  const std::vector<std::pair<double, std::vector<double>>> pytorch = {
      {2.0, {5.8523499553598128, 0.5126145070388306, -0.68348600938510751, 0.17087150234627688, 0.34174300469255375,
             -0.34174300469255375, 0.085435751173138438}},
      {1.0, {12.5, 0.23999998080000154, -0.31999997440000205, 0.079999993600000513, 0.15999998720000103,
             -0.15999998720000103, 0.039999996800000256}},
      {optim::kInfNorm, {4, 0.74999981250004688, -0.99999975000006247, 0.24999993750001562, 0.49999987500003124,
                         -0.49999987500003124, 0.12499996875000781}},
      {3.0, {4.7640397172728965, 0.62971753980249456, -0.83962338640332601, 0.2099058466008315, 0.41981169320166301,
             -0.41981169320166301, 0.10495292330041575}}};
  for (const auto& [norm_type, expected] : pytorch) {
    INFO("norm_type " << norm_type);
    Params p;
    const double total = optim::clip_grad_norm(p.list(), 1.0, norm_type);
    CHECK(total == Approx(expected[0]).epsilon(1e-14));
    CHECK(test::max_rel_error(p.grads(), std::vector<double>(expected.begin() + 1, expected.end())) < 1e-14);
    CHECK_FALSE(p.c.grad().defined());
  }
  // By hand: the 2-norm is √(9 + 16 + 1 + 4 + 4 + 0.25) = √34.25.
  Params p;
  CHECK(optim::clip_grad_norm(p.list(), 10.0) == Approx(std::sqrt(34.25)).epsilon(1e-15));
  CHECK(p.grads() == std::vector<double>{3, -4, 1, 2, -2, 0.5});  // under max_norm: untouched
}

TEST_CASE("clip_grad_norm reports an inf or NaN gradient and leaves the gradients alone") {
  for (double bad : {INFINITY, -INFINITY, NAN}) {
    for (double norm_type : {2.0, 1.0, optim::kInfNorm}) {
      INFO("bad " << bad << ", norm_type " << norm_type);
      Params p;
      test::set_grad(p.b, {1, bad, -2, 0.5});
      const std::vector<double> before = p.grads();
      const double total = optim::clip_grad_norm(p.list(), 1.0, norm_type);
      CHECK((std::isnan(bad) ? std::isnan(total) : total == INFINITY));
      const std::vector<double> after = p.grads();
      for (std::size_t i = 0; i < after.size(); ++i)
        CHECK((after[i] == before[i] || (std::isnan(after[i]) && std::isnan(before[i]))));
      REQUIRE_THROWS_WITH(optim::clip_grad_norm(p.list(), 1.0, norm_type, true),
                          Catch::Contains("clip_grad_norm: the total") &&
                              Catch::Contains("the gradient of parameter 1 holds inf or NaN"));
    }
  }
  Params p;
  REQUIRE_THROWS_WITH(optim::clip_grad_norm(p.list(), -1.0), Catch::Contains("max_norm must be non-negative"));
  REQUIRE_THROWS_WITH(optim::clip_grad_norm(p.list(), 1.0, 0.5), Catch::Contains("norm_type must be >= 1"));
}

TEST_CASE("clip_grad_norm works on float32 gradients at every SIMD size") {
  for (std::int64_t n : test::kSimdSizes) {
    Tensor w = test::random_tensor({n}, DType::float32, 2);
    w.requires_grad(true);
    const Tensor g = test::random_tensor({n}, DType::float32, 9, 3.0);
    test::set_grad(w, g.to_vector());
    double sum = 0;
    for (double v : g.to_vector()) sum += v * v;
    const double total = optim::clip_grad_norm({w}, 0.5);
    CHECK(total == Approx(std::sqrt(sum)).epsilon(1e-12));
    if (total > 0.5) {
      double clipped = 0;
      for (double v : w.grad().to_vector()) clipped += v * v;
      CHECK(std::sqrt(clipped) == Approx(0.5).epsilon(1e-5));
    }
  }
}

TEST_CASE("clip_grad_value clamps every element and keeps NaN") {
  Params p;
  test::set_grad(p.a, {3, NAN});
  optim::clip_grad_value(p.list(), 1.5);
  const std::vector<double> g = p.grads();
  CHECK(g[0] == 1.5);
  CHECK(std::isnan(g[1]));
  CHECK(std::vector<double>(g.begin() + 2, g.end()) == std::vector<double>{1, 1.5, -1.5, 0.5});
  REQUIRE_THROWS_WITH(optim::clip_grad_value(p.list(), -1), Catch::Contains("clip_grad_value: clip_value"));
  REQUIRE_THROWS_WITH(optim::clip_grad_value({Tensor()}, 1), Catch::Contains("parameter 0 is an undefined tensor"));
  REQUIRE_THROWS_WITH(optim::clip_grad_norm({p.a, Tensor()}, 1), Catch::Contains("parameter 1 is an undefined tensor"));
}
