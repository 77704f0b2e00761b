#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

namespace {
// A deliberately wrong op: forward y = 2x, backward claims dy/dx = 3.
Tensor wrong_double(const Tensor& x) {
  Tensor y = empty_like(x);
  for (std::int64_t i = 0; i < x.numel(); ++i) y.data<double>()[i] = 2 * x.data<double>()[i];
  record("wrong_double", {x}, y, {}, [x](const Tensor& gy) {
    Tensor gx = grad_of(x);
    for (std::int64_t i = 0; i < x.numel(); ++i) gx.data<double>()[i] += 3 * gy.data<double>()[i];
  });
  return y;
}
}  // namespace

TEST_CASE("gradcheck catches a wrong backward rule and reports the worst element") {
  Tensor x = test::random_tensor({5});
  x.requires_grad(true);
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return wrong_double(in[0]); }, {x});
  CHECK(!r.ok);
  CHECK(r.checked == 5);
  CHECK(r.max_error > 0.1);
  CHECK(r.str().find("FAILED") != std::string::npos);
}

TEST_CASE("gradcheck passes a correct rule and leaves no gradient behind") {
  Tensor x = test::random_tensor({6});
  x.requires_grad(true);
  GradcheckResult r = gradcheck([](const std::vector<Tensor>& in) { return selu(in[0]); }, {x});
  CHECK(r.ok);
  CHECK(r.max_error < 1e-8);
  CHECK(!x.grad().defined());
}

TEST_CASE("gradcheck rejects float32 inputs and calls with nothing to check") {
  Tensor x = test::random_tensor({3}, DType::float32);
  x.requires_grad(true);
  auto f = [](const std::vector<Tensor>& in) { return selu(in[0]); };
  REQUIRE_THROWS_WITH(gradcheck(f, {x}), Catch::Contains("float64"));
  REQUIRE_THROWS_WITH(gradcheck(f, {test::random_tensor({3})}), Catch::Contains("no input"));
}
