// RMSprop against a double-precision reference written from the formula in rmsprop.h, and
// against PyTorch 1.13's trajectories.
#include <cmath>

#include "optim/optim_support.h"
#include "optim/rmsprop.h"

using namespace tg;
using test::param;

namespace {

// RMSprop as rmsprop.h states it, written independently of the kernel.
struct RMSpropReference {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
  std::vector<double> square_avg = {}, grad_avg = {}, buf = {};

  void step(std::vector<double>& p, const std::vector<double>& g) {
    if (square_avg.empty()) square_avg = grad_avg = buf = std::vector<double>(p.size(), 0.0);
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double grad = g[i] + weight_decay * p[i];
      square_avg[i] = alpha * square_avg[i] + (1 - alpha) * grad * grad;
      grad_avg[i] = alpha * grad_avg[i] + (1 - alpha) * grad;
      const double variance = centered ? square_avg[i] - grad_avg[i] * grad_avg[i] : square_avg[i];
      const double d = std::sqrt(variance) + eps;
      if (momentum > 0) {
        buf[i] = momentum * buf[i] + grad / d;
        p[i] -= lr * buf[i];
      } else {
        p[i] -= lr * grad / d;
      }
    }
  }
  test::ReferenceStep stepper() {
    return [this](std::vector<double>& p, const std::vector<double>& g) { step(p, g); };
  }
};

const std::vector<double> kStart = {1.0, -2.0, 0.5};

}  // namespace

TEST_CASE("centered RMSprop with momentum and weight decay follows its formula and PyTorch's trajectory") {
  optim::RMSprop rmsprop({param(kStart)},
                         {.lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.9, .centered = true});
  RMSpropReference reference{.lr = 0.01, .alpha = 0.9, .eps = 1e-8, .weight_decay = 0.1, .momentum = 0.9,
                             .centered = true};
  // tests/optim/pytorch_reference.py, torch 1.13.1: RMSprop lr=0.01 alpha=0.9 weight_decay=0.1
  // momentum=0.9 centered.
  test::check_quadratic_trajectory(
      rmsprop, kStart, reference.stepper(),
      {0.96666666702508963, -1.9666666670138888, 0.46666666720867206, 0.91145398621994889, -1.9114451375461949,
       0.41160054014985553, 0.83997766805753815, -1.8399376925692279, 0.34064400207676698, 0.75586684248900082,
       -1.7557565787886507, 0.25771875744883443, 0.66178368310508517, -1.6615432215113617, 0.16585743027899158});
  std::vector<std::string> names;
  for (const auto& [name, t] : rmsprop.state()) names.push_back(name);
  CHECK(std::vector<std::string>(names.begin() + 6, names.end()) ==
        std::vector<std::string>{"step.0", "square_avg.0", "momentum_buffer.0", "grad_avg.0"});
}

TEST_CASE("RMSprop with PyTorch's defaults") {
  const optim::RMSpropOptions defaults;
  CHECK(defaults.lr == 1e-2);
  CHECK(defaults.alpha == 0.99);
  CHECK(defaults.eps == 1e-8);
  CHECK(defaults.momentum == 0.0);
  CHECK_FALSE(defaults.centered);
  optim::RMSprop rmsprop({param(kStart)});
  RMSpropReference reference{.lr = 0.01, .alpha = 0.99, .eps = 1e-8, .weight_decay = 0, .momentum = 0, .centered = false};
  // pytorch_reference.py: RMSprop defaults.
  test::check_quadratic_trajectory(
      rmsprop, kStart, reference.stepper(),
      {0.9000000033333333, -1.9000000033333333, 0.40000000499999977, 0.83158511607879504, -1.831585116078795,
       0.33291796797003315, 0.77685149922491725, -1.7768514992249174, 0.27998227324363512, 0.73019606968590001,
       -1.7301960696859, 0.23538904443822353, 0.68902541598869516, -1.6890254159886953, 0.19646578873820791});
}

TEST_CASE("RMSprop in float32 matches the double reference at every SIMD size") {
  for (bool centered : {false, true}) {
    for (std::int64_t n : test::kSimdSizes) {
      INFO("centered " << centered << ", n = " << n);
      Tensor p = test::random_tensor({n}, DType::float32, 5);
      p.requires_grad(true);
      std::vector<double> expected = p.to_vector();
      RMSpropReference reference{.lr = 0.01, .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.05, .momentum = 0.5,
                                 .centered = centered};
      optim::RMSprop rmsprop({p}, {.lr = 0.01, .alpha = 0.9, .eps = 1e-6, .weight_decay = 0.05, .momentum = 0.5,
                                   .centered = centered});
      for (std::uint64_t step = 0; step < 3; ++step) {
        const Tensor g = test::random_tensor({n}, DType::float32, 30 + step);
        test::set_grad(p, g.to_vector());
        rmsprop.step();
        reference.step(expected, g.to_vector());
      }
      if (n > 0) CHECK(test::max_rel_diff(p, expected) < 1e-5);
    }
  }
}

TEST_CASE("RMSprop rejects options out of range, naming the option") {
  Tensor p = param({1.0});
  REQUIRE_THROWS_WITH(optim::RMSprop({p}, {.alpha = -0.5}),
                      Catch::Contains("RMSprop: alpha must be finite and non-negative, got -0.5"));
  REQUIRE_THROWS_WITH(optim::RMSprop({p}, {.momentum = -1}), Catch::Contains("RMSprop: momentum"));
  REQUIRE_THROWS_WITH(optim::RMSprop({p}, {.lr = INFINITY}), Catch::Contains("RMSprop: lr must be finite"));
}
