#include <cmath>

#include "optim/scheduler.h"
#include "optim/sgd.h"
#include "support.h"

using namespace tg;

namespace {
// A parameter p with a fixed gradient g set by hand (as backward would leave it).
Tensor param(double value) {
  Tensor p = tensor({value}, DType::float64);
  p.requires_grad(true);
  return p;
}
void set_grad(Tensor& p, double g) {
  p.zero_grad();
  p.impl()->grad = tensor({g}, DType::float64).impl_ptr();
}
}  // namespace

TEST_CASE("plain SGD: p -= lr * g") {
  Tensor p = param(1.0);
  optim::SGD opt({p}, {.lr = 0.1});
  set_grad(p, 2.0);
  opt.step();
  CHECK(p.item() == Approx(0.8));
}

TEST_CASE("SGD with momentum, dampening and weight decay follows PyTorch by hand") {
  // lr 0.1, momentum 0.9, dampening 0.5, weight decay 0.01; gradients 1, 2, 3.
  Tensor p = param(1.0);
  optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.01});
  double pv = 1.0, buf = 0.0;
  const double grads[] = {1.0, 2.0, 3.0};
  for (int t = 0; t < 3; ++t) {
    set_grad(p, grads[t]);
    opt.step();
    const double d = grads[t] + 0.01 * pv;
    buf = t == 0 ? d : 0.9 * buf + 0.5 * d;  // the first step copies d, undamped
    pv -= 0.1 * buf;
    CHECK(p.item() == Approx(pv).epsilon(1e-14));
  }
  // The same by hand for the first two steps: d = 1.01, buf = 1.01, p = 0.899;
  // d = 2.00899, buf = 0.9·1.01 + 0.5·2.00899 = 1.913495, p = 0.7076505.
  Tensor q = param(1.0);
  optim::SGD opt2({q}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5, .weight_decay = 0.01});
  set_grad(q, 1.0);
  opt2.step();
  CHECK(q.item() == Approx(0.899).epsilon(1e-14));
  set_grad(q, 2.0);
  opt2.step();
  CHECK(q.item() == Approx(0.7076505).epsilon(1e-14));
}

TEST_CASE("SGD with Nesterov momentum") {
  Tensor p = param(0.0);
  optim::SGD opt({p}, {.lr = 1.0, .momentum = 0.5, .nesterov = true});
  set_grad(p, 1.0);
  opt.step();  // buf = 1, d = 1 + 0.5 = 1.5
  CHECK(p.item() == Approx(-1.5));
  set_grad(p, 1.0);
  opt.step();  // buf = 0.5 + 1 = 1.5, d = 1 + 0.75 = 1.75
  CHECK(p.item() == Approx(-3.25));
}

TEST_CASE("SGD state round-trips and parameters without gradients are skipped") {
  Tensor a = param(1.0), b = param(5.0);
  optim::SGD opt({a, b}, {.lr = 0.5, .momentum = 0.9});
  set_grad(a, 1.0);
  opt.step();  // a = 0.5, buf = 1; b has no gradient
  CHECK(a.item() == 0.5);
  CHECK(b.item() == 5.0);
  auto state = opt.state();
  std::vector<std::string> names;
  for (const auto& [name, t] : state) names.push_back(name);
  // Group 0's options, then parameter 0's step count and buffer; parameter 1 has no state yet.
  CHECK(names == std::vector<std::string>{"group.0.lr", "group.0.momentum", "group.0.dampening",
                                          "group.0.weight_decay", "group.0.nesterov", "step.0", "momentum_buffer.0"});

  Tensor copy = param(0.5), other = param(5.0);
  optim::SGD restored({copy, other}, {.lr = 0.5, .momentum = 0.9});
  restored.load_state(state);
  set_grad(a, 1.0);
  set_grad(copy, 1.0);
  opt.step();
  restored.step();
  CHECK(a.item() == Approx(0.5 - 0.5 * (0.9 + 1.0)));
  CHECK(copy.item() == a.item());
  REQUIRE_THROWS_WITH(restored.load_state({{"momentum_buffer.7", zeros({1}, DType::float64)}}),
                      Catch::Contains("SGD.load_state"));
  REQUIRE_THROWS_WITH(optim::SGD({a}, {.lr = 0.1, .nesterov = true}), Catch::Contains("nesterov"));
}

TEST_CASE("learning-rate schedules give PyTorch's values") {
  Tensor p = param(0.0);
  optim::SGD opt({p}, {.lr = 1.0});
  optim::StepLR step(opt, 3, 0.5);
  std::vector<double> seen;
  for (int e = 0; e < 7; ++e) {
    step.step();
    seen.push_back(opt.lr());
  }
  CHECK(seen == std::vector<double>{1, 1, 0.5, 0.5, 0.5, 0.25, 0.25});
  optim::SGD opt2({p}, {.lr = 0.1});
  optim::ExponentialLR exp_lr(opt2, 0.9);
  exp_lr.step();
  exp_lr.step();
  CHECK(opt2.lr() == Approx(0.081));
  optim::SGD opt3({p}, {.lr = 0.1});
  optim::CosineAnnealingLR cosine(opt3, 10, 0.001);
  cosine.set_epoch(5);
  CHECK(opt3.lr() == Approx(0.001 + 0.099 * 0.5));
  cosine.set_epoch(10);
  CHECK(opt3.lr() == Approx(0.001));
  cosine.step();
  CHECK(opt3.lr() == Approx(0.001));
}
