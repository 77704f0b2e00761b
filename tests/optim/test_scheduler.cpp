// Learning-rate schedules against PyTorch 1.13 (tests/optim/pytorch_reference.py) and their
// closed forms; schedule state for checkpoints.
#include <cmath>

#include "optim/adam.h"
#include "optim/optim_support.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"

using namespace tg;
using test::param;

namespace {

// A user-defined optimizer with no momentum: p ← p − lr·sign(g). It also shows what a new
// optimizer needs: options with validate and visit, and update().
struct SignSGDOptions {
  double lr = 0.01;
  void validate(const std::string& where) const { check(lr >= 0, where, ": lr must be non-negative"); }
  template <class F>
  void visit(F&& f) {
    f("lr", lr);
  }
};
class SignSGD : public optim::GroupedOptimizer<SignSGDOptions> {
 public:
  SignSGD(std::vector<Tensor> params, SignSGDOptions options)
      : GroupedOptimizer("SignSGD", {{std::move(params), options}}, {}) {}

 private:
  void update(const SignSGDOptions& o, const Tensor& p, const Tensor& g, ParamState&) override {
    for (std::int64_t i = 0; i < p.numel(); ++i)
      p.data<double>()[i] -= o.lr * ((g.data<double>()[i] > 0) - (g.data<double>()[i] < 0));
  }
};

}  // namespace

TEST_CASE("a user-defined optimizer steps through GroupedOptimizer") {
  Tensor p = param({1.0, -1.0});
  SignSGD opt({p}, {.lr = 0.25});
  test::set_grad(p, {3.0, -0.1});
  opt.step();
  CHECK(p.to_vector() == std::vector<double>{0.75, -0.75});
  CHECK(opt.state().size() == 2);  // group.0.lr and step.0
}

TEST_CASE("LinearLR warms up from start_factor and sets it at construction") {
  Tensor p = param({0.0});
  optim::SGD sgd({p}, {.lr = 0.2});
  optim::LinearLR warmup(sgd, 0.25, 1.0, 3);
  CHECK(sgd.lr() == Approx(0.05));  // the first epoch already trains warmed down
  std::vector<double> seen;
  for (int epoch = 0; epoch < 5; ++epoch) {
    warmup.step();
    seen.push_back(sgd.lr());
  }
  // base·(0.25 + 0.75·min(epoch, 3)/3)
  CHECK(test::max_rel_error(seen, {0.2 * 0.5, 0.2 * 0.75, 0.2, 0.2, 0.2}) < 1e-15);
  const optim::LinearLR defaults(sgd);
  CHECK(defaults.lr_at(0, 3.0) == Approx(1.0));  // start_factor 1/3, end 1, total_iters 5, as torch
  CHECK(defaults.lr_at(5, 3.0) == Approx(3.0));
  REQUIRE_THROWS_WITH(optim::LinearLR(sgd, 0.0), Catch::Contains("LinearLR: start_factor must be in (0, 1], got 0"));
}

TEST_CASE("SequentialLR runs a warm-up then a cosine schedule, as PyTorch's") {
  Tensor p = param({0.0});
  optim::SGD sgd({p}, {.lr = 0.1});
  optim::SequentialLR schedule(sgd,
                               {std::make_shared<optim::LinearLR>(sgd, 0.1, 1.0, 4),
                                std::make_shared<optim::CosineAnnealingLR>(sgd, 6, 0.001)},
                               {4});
  std::vector<double> seen;
  for (int epoch = 0; epoch < 12; ++epoch) {
    seen.push_back(sgd.lr());
    schedule.step();
  }
  // pytorch_reference.py, torch 1.13.1: SequentialLR(LinearLR(0.1, 1.0, 4), CosineAnnealingLR(6,
  // 0.001), [4]), lr at epochs 0..11. At epoch 11 PyTorch's cosine rises again (its recursive form
  // is periodic) while CosineAnnealingLR here holds eta_min after t_max, as scheduler.h says.
  const std::vector<double> pytorch = {0.010000000000000002, 0.032500000000000008, 0.055000000000000014,
                                       0.077500000000000027, 0.10000000000000001,  0.093368257487329728,
                                       0.075250000000000011, 0.050500000000000003, 0.025750000000000012,
                                       0.0076317425126702842, 0.001};
  CHECK(test::max_rel_error(std::vector<double>(seen.begin(), seen.begin() + 11), pytorch) < 1e-13);
  CHECK(seen[11] == Approx(0.001));
  REQUIRE_THROWS_WITH(optim::SequentialLR(sgd, {std::make_shared<optim::StepLR>(sgd, 2)}, {3}),
                      Catch::Contains("1 schedules need 0 milestones, got 1"));
  optim::SGD other({param({0.0})}, {.lr = 0.1});
  REQUIRE_THROWS_WITH(optim::SequentialLR(sgd, {std::make_shared<optim::StepLR>(sgd, 2),
                                               std::make_shared<optim::StepLR>(other, 2)}, {3}),
                      Catch::Contains("schedule 1 is null or drives another optimizer"));
}

TEST_CASE("OneCycleLR follows PyTorch's cosine cycle of lr and momentum") {
  Tensor p = param({0.0});
  optim::SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  optim::OneCycleLR schedule(sgd, {.max_lr = 0.1, .total_steps = 10});
  std::vector<double> lrs, momenta;
  for (int step = 0; step <= 10; ++step) {
    lrs.push_back(sgd.lr());
    momenta.push_back(*sgd.momentum(0));
    if (step < 10) schedule.step();
  }
  // pytorch_reference.py, torch 1.13.1: OneCycleLR(max_lr=0.1, total_steps=10) on SGD, steps
  // 0..9. At step 10 (after the last batch) PyTorch extrapolates the cosine past its end
  // (lr 0.00495, momentum 0.945); here it stays at the end (scheduler.h).
  const std::vector<double> pytorch_lr = {0.0040000000000000036, 0.052000000000000005, 0.10000000000000001,
                                          0.095048463201347383,  0.081174565394976306, 0.06112620219362893,
                                          0.038874197806371073,  0.018825834605023701, 0.0049519367986526289,
                                          3.9999999999999998e-07};
  const std::vector<double> pytorch_momentum = {0.94999999999999996, 0.89999999999999991, 0.84999999999999998,
                                                0.85495155660487898, 0.86882550990706331, 0.88887395330218422,
                                                0.91112604669781572, 0.93117449009293662, 0.94504844339512095,
                                                0.94999999999999996};
  CHECK(test::max_rel_error(std::vector<double>(lrs.begin(), lrs.end() - 1), pytorch_lr) < 1e-13);
  CHECK(test::max_rel_error(std::vector<double>(momenta.begin(), momenta.end() - 1), pytorch_momentum) < 1e-13);
  CHECK(lrs[10] == Approx(0.1 / 25 / 1e4));
  CHECK(momenta[10] == Approx(0.95));
  // The closed form: phase 1 ends at step 0.3·10 − 1 = 2 at max_lr, cosine from 0.1/25.
  CHECK(schedule.lr_at(1, 0) == Approx(0.1 + (0.004 - 0.1) / 2 * (1 + std::cos(std::numbers::pi * 0.5))));
  REQUIRE_THROWS_WITH(schedule.set_epoch(11), Catch::Contains("OneCycleLR: stepped to 11, past total_steps 10"));
  CHECK(sgd.lr() == lrs[10]);  // a refused step changes nothing
}

TEST_CASE("OneCycleLR's three-phase linear cycle drives Adam's beta1, as PyTorch's") {
  Tensor p = param({0.0});
  optim::Adam adam({p}, {.lr = 0.1});
  optim::OneCycleLR schedule(adam, {.max_lr = 0.1, .total_steps = 12, .pct_start = 0.25,
                                    .anneal_strategy = optim::AnnealStrategy::linear, .three_phase = true});
  std::vector<double> lrs, betas;
  for (int step = 0; step < 12; ++step) {
    lrs.push_back(adam.lr());
    betas.push_back(adam.options().betas.first);
    schedule.step();
  }
  // pytorch_reference.py: OneCycleLR(max_lr=0.1, total_steps=12, pct_start=0.25, three_phase,
  // linear) on Adam, steps 0..11 (at step 12 PyTorch's lr extrapolates to −0.00057).
  const std::vector<double> pytorch_lr = {
      0.0040000000000000001,  0.052000000000000005,  0.10000000000000001,   0.052000000000000005,
      0.0040000000000000036,  0.0034286285714285715, 0.002857257142857143,  0.0022858857142857144,
      0.0017145142857142859,  0.0011431428571428573, 0.00057177142857142878, 4.0000000000022656e-07};
  const std::vector<double> pytorch_beta1 = {0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
  CHECK(test::max_rel_error(lrs, pytorch_lr) < 1e-12);
  CHECK(test::max_rel_error(betas, pytorch_beta1) < 1e-13);
  CHECK(adam.lr() == Approx(4e-7));  // step 12 keeps the final lr; never negative

  SignSGD sign({param({0.0})}, {.lr = 0.1});
  REQUIRE_THROWS_WITH(optim::OneCycleLR(sign, {.max_lr = 0.1, .total_steps = 5}),
                      Catch::Contains("cycle_momentum needs an optimizer with a momentum"));
  optim::OneCycleLR no_momentum(sign, {.max_lr = 0.1, .total_steps = 5, .cycle_momentum = false});
  CHECK(sign.lr() == Approx(0.004));
  REQUIRE_THROWS_WITH(optim::OneCycleLR(adam, {.max_lr = 0.1}), Catch::Contains("total_steps must be positive"));
}

TEST_CASE("ReduceLROnPlateau reduces after patience bad epochs with cooldown, as PyTorch's") {
  const std::vector<double> metrics = {1.0, 0.9, 0.95, 0.93, 0.92, 0.91, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6};
  // pytorch_reference.py, torch 1.13.1: factor 0.5, patience 2, cooldown 1, min_lr 0.1, lr after
  // each step — min/rel with threshold 0.05 on the metrics, max/abs with 0.02 on their negatives.
  const std::vector<double> pytorch = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125};
  for (optim::Mode mode : {optim::Mode::min, optim::Mode::max}) {
    Tensor p = param({0.0});
    optim::SGD sgd({p}, {.lr = 1.0});
    const bool min = mode == optim::Mode::min;
    optim::ReduceLROnPlateau plateau(sgd, {.mode = mode, .factor = 0.5, .patience = 2,
                                           .threshold = min ? 0.05 : 0.02,
                                           .threshold_mode = min ? optim::ThresholdMode::rel : optim::ThresholdMode::abs,
                                           .cooldown = 1, .min_lr = 0.1});
    std::vector<double> seen;
    for (double m : metrics) {
      plateau.step(min ? m : -m);
      seen.push_back(sgd.lr());
    }
    CHECK(seen == pytorch);
    CHECK(plateau.best() == (min ? 0.5 : -0.5));
  }
  // min_lr bounds the reduction, and a change below eps is not made.
  Tensor p = param({0.0});
  optim::SGD sgd({p}, {.lr = 0.15});
  optim::ReduceLROnPlateau plateau(sgd, {.patience = 0, .min_lr = 0.1});
  plateau.step(1.0);
  plateau.step(std::nan(""));  // NaN never improves
  CHECK(sgd.lr() == 0.1);
  plateau.step(2.0);
  CHECK(sgd.lr() == 0.1);
  REQUIRE_THROWS_WITH(optim::ReduceLROnPlateau(sgd, {.factor = 1.0}), Catch::Contains("factor must be in [0, 1)"));
}

TEST_CASE("schedule state round-trips and a bad state changes nothing") {
  Tensor p = param({0.0});
  optim::SGD sgd({p}, {.lr = 0.1});
  optim::StepLR step(sgd, 2, 0.5);
  for (int e = 0; e < 3; ++e) step.step();
  optim::SGD sgd2({param({0.0})}, {.lr = 7.0});
  optim::StepLR restored(sgd2, 2, 0.5);
  restored.load_state(step.state());
  CHECK(restored.epoch() == 3);
  CHECK(restored.base_lrs() == std::vector<double>{0.1});
  restored.step();
  step.step();
  CHECK(sgd2.lr() == sgd.lr());

  const NamedTensors good = step.state();
  NamedTensors bad = good;
  bad[0].second = test::random_tensor({2});
  REQUIRE_THROWS_WITH(restored.load_state(bad), Catch::Contains("Scheduler.load_state: 'epoch' is [2] float64"));
  bad = good;
  bad.pop_back();
  REQUIRE_THROWS_WITH(restored.load_state(bad), Catch::Contains("'base_lr.0' is missing"));
  bad = good;
  bad.emplace_back("base_lr.1", good.back().second);
  REQUIRE_THROWS_WITH(restored.load_state(bad), Catch::Contains("unexpected entry 'base_lr.1'"));
  CHECK(restored.epoch() == 4);

  optim::ReduceLROnPlateau plateau(sgd, {.patience = 1});
  for (double m : {1.0, 0.5, 0.7}) plateau.step(m);
  optim::ReduceLROnPlateau plateau2(sgd2, {.patience = 1});
  plateau2.load_state(plateau.state());
  CHECK(plateau2.best() == 0.5);
  CHECK(plateau2.num_bad_epochs() == 1);
  CHECK(plateau2.epoch() == 3);
  NamedTensors negative = plateau.state();
  *negative[1].second.data<std::int64_t>() = -1;
  REQUIRE_THROWS_WITH(plateau2.load_state(negative),
                      Catch::Contains("ReduceLROnPlateau.load_state: 'num_bad_epochs' must be non-negative, got -1"));
  CHECK(plateau2.num_bad_epochs() == 1);
}
