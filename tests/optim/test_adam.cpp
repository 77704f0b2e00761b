// Adam and AdamW against a double-precision reference written from the formula in adam.h (the
// paper's bias-corrected m̂ and v̂ form), and against PyTorch 1.13's trajectories.
#include <cmath>

#include "optim/adam.h"
#include "optim/optim_support.h"
#include "tensor/parallel.h"

using namespace tg;
using test::param;

namespace {

// Adam (or, decoupled, AdamW) as adam.h states it, written independently of the kernel.
struct AdamReference {
  double lr, beta1, beta2, eps, weight_decay;
  bool amsgrad = false, decoupled = false;
  std::vector<double> m = {}, v = {}, v_max = {};
  int t = 0;

  void step(std::vector<double>& p, const std::vector<double>& g) {
    if (m.empty()) m = v = v_max = std::vector<double>(p.size(), 0.0);
    ++t;
    for (std::size_t i = 0; i < p.size(); ++i) {
      double grad = g[i];
      if (decoupled)
        p[i] *= 1 - lr * weight_decay;
      else
        grad += weight_decay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * grad;
      v[i] = beta2 * v[i] + (1 - beta2) * grad * grad;
      v_max[i] = std::max(v_max[i], v[i]);
      const double m_hat = m[i] / (1 - std::pow(beta1, t));
      const double v_hat = (amsgrad ? v_max[i] : v[i]) / (1 - std::pow(beta2, t));
      p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
  test::ReferenceStep stepper() {
    return [this](std::vector<double>& p, const std::vector<double>& g) { step(p, g); };
  }
};

const std::vector<double> kStart = {1.0, -2.0, 0.5};

}  // namespace

TEST_CASE("Adam with L2 weight decay follows its formula and PyTorch's trajectory") {
  optim::Adam adam({param(kStart)}, {.lr = 0.1, .betas = {0.9, 0.99}, .weight_decay = 0.1});
  AdamReference reference{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0.1};
  // tests/optim/pytorch_reference.py, torch 1.13.1: Adam lr=0.1 betas=(0.9, 0.99) weight_decay=0.1.
  test::check_quadratic_trajectory(
      adam, kStart, reference.stepper(),
      {0.90000000032258065, -1.9000000003124999, 0.40000000048780487, 0.80022824644794377, -1.8002189595487952,
       0.3004021722559802, 0.7008631527774537, -1.700827071653364, 0.20155188666754376, 0.60210529553612802,
       -1.6020148600540038, 0.10386572174742831, 0.50417940582881537, -1.5039949127637628, 0.0078425242898810116});
}

TEST_CASE("Adam with amsgrad keeps the running maximum of v") {
  optim::Adam adam({param(kStart)}, {.lr = 0.1, .betas = {0.9, 0.99}, .amsgrad = true});
  AdamReference reference{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0, .amsgrad = true};
  // pytorch_reference.py: Adam amsgrad lr=0.1 betas=(0.9, 0.99).
  test::check_quadratic_trajectory(
      adam, kStart, reference.stepper(),
      {0.90000000033333327, -1.9000000003333333, 0.40000000050000001, 0.80022351088950372, -1.8002235108895037,
       0.30038856757510135, 0.70084474495673321, -1.7008447449567332, 0.2014971688119111, 0.60205913330373795,
       -1.6020591333037379, 0.10372364023347501, 0.50408518311236727, -1.5040851831123674, 0.0075422327520446864});
  REQUIRE(adam.state().size() == 6 + 4);  // 6 group options; step, exp_avg, exp_avg_sq, max_exp_avg_sq

  // On the quadratic v only grows, so v̂ = v. A gradient that drops from 10 to 0.1 makes v fall
  // (0.01·100 = 1, then 0.99·1 + 0.01·0.01 = 0.9901): now v̂ keeps the maximum and the steps differ.
  for (bool amsgrad : {true, false}) {
    Tensor r = param({0.0});
    optim::Adam drop({r}, {.lr = 0.1, .betas = {0.9, 0.99}, .amsgrad = amsgrad});
    AdamReference by_hand{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .eps = 1e-8, .weight_decay = 0, .amsgrad = true};
    std::vector<double> expected{0.0};
    for (double g : {10.0, 0.1, 0.1, 0.1}) {
      test::set_grad(r, {g});
      drop.step();
      by_hand.step(expected, {g});
    }
    INFO("amsgrad " << amsgrad << ": " << r.item() << " against " << expected[0]);
    CHECK((std::abs(r.item() - expected[0]) < 1e-15) == amsgrad);
  }
}

TEST_CASE("AdamW decays the weights apart from the gradient, with PyTorch's defaults") {
  const optim::AdamWOptions defaults;
  CHECK(defaults.lr == 1e-3);
  CHECK(defaults.betas == std::pair{0.9, 0.999});
  CHECK(defaults.eps == 1e-8);
  CHECK(defaults.weight_decay == 0.01);  // Adam's is 0
  CHECK(optim::AdamOptions{}.weight_decay == 0.0);

  optim::AdamW adamw({param(kStart)}, {.lr = 0.1, .weight_decay = 0.1});
  AdamReference reference{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.1, .decoupled = true};
  // pytorch_reference.py: AdamW lr=0.1 weight_decay=0.1 (default betas).
  test::check_quadratic_trajectory(
      adamw, kStart, reference.stepper(),
      {0.89000000033333326, -1.8800000003333333, 0.3950000005, 0.78137064560580494, -1.7615037270307345,
       0.29149158448904522, 0.67430715132485752, -1.6447348531969017, 0.18983029448835673, 0.5690260331399557,
       -1.5299450838438329, 0.090435189081678358, 0.46576612954020702, -1.4174160825120763, -0.0062047631597790254});
}

TEST_CASE("Adam and AdamW in float32 match the double reference at every SIMD size") {
  for (bool decoupled : {false, true}) {
    for (std::int64_t n : test::kSimdSizes) {
      INFO((decoupled ? "AdamW" : "Adam") << ", n = " << n);
      Tensor p = test::random_tensor({n}, DType::float32, 3);
      p.requires_grad(true);
      std::vector<double> expected = p.to_vector();
      AdamReference reference{.lr = 0.01, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-6, .weight_decay = 0.05,
                              .amsgrad = true, .decoupled = decoupled};
      std::unique_ptr<optim::Optimizer> opt;
      if (decoupled)
        opt = std::make_unique<optim::AdamW>(std::vector<Tensor>{p}, optim::AdamWOptions{
            .lr = 0.01, .betas = {0.8, 0.9}, .eps = 1e-6, .weight_decay = 0.05, .amsgrad = true});
      else
        opt = std::make_unique<optim::Adam>(std::vector<Tensor>{p}, optim::AdamOptions{
            .lr = 0.01, .betas = {0.8, 0.9}, .eps = 1e-6, .weight_decay = 0.05, .amsgrad = true});
      for (std::uint64_t step = 0; step < 3; ++step) {
        const Tensor g = test::random_tensor({n}, DType::float32, 10 + step);
        test::set_grad(p, g.to_vector());
        opt->step();
        reference.step(expected, g.to_vector());
      }
      if (n > 0) CHECK(test::max_rel_diff(p, expected) < 1e-5);
    }
  }
}

TEST_CASE("Adam gives the same bits with 1 and 2 threads") {
  const int saved = num_threads();
  std::vector<std::vector<double>> results;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Tensor p = test::random_tensor({3 * kParallelGrain + 5}, DType::float32, 4);
    p.requires_grad(true);
    optim::Adam adam({p}, {.lr = 0.01, .weight_decay = 0.01});
    for (std::uint64_t step = 0; step < 2; ++step) {
      test::set_grad(p, test::random_tensor(p.shape(), DType::float32, 20 + step).to_vector());
      adam.step();
    }
    results.push_back(p.to_vector());
  }
  set_num_threads(saved);
  CHECK(results[0] == results[1]);
}

TEST_CASE("Adam counts steps per parameter: one without a gradient neither moves nor ages") {
  Tensor a = param({1.0}), b = param({1.0});
  optim::Adam adam({a, b}, {.lr = 0.1});
  test::set_grad(a, {0.5});
  adam.step();  // a's first step; b has no gradient
  test::set_grad(b, {0.5});
  adam.step();  // a's second step (same gradient), b's first
  // A first step moves by lr·g/(|g| + eps) ≈ lr·sign(g), whichever call of step() it is.
  CHECK(b.item() == Approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-8)).epsilon(1e-14));
  AdamReference reference{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0};
  std::vector<double> expected{1.0};
  reference.step(expected, {0.5});
  reference.step(expected, {0.5});
  CHECK(a.item() == Approx(expected[0]).epsilon(1e-14));
  CHECK(adam.state()[6 + 3].first == "step.1");
  CHECK(*adam.state()[6 + 3].second.data<std::int64_t>() == 1);
}

TEST_CASE("Adam rejects options out of range, naming the option") {
  Tensor p = param({1.0});
  REQUIRE_THROWS_WITH(optim::Adam({p}, {.lr = -1}), Catch::Contains("Adam: lr must be finite and non-negative, got -1"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, {.betas = {0.9, 1.0}}),
                      Catch::Contains("Adam: betas.second (beta2) must be in [0, 1), got 1"));
  REQUIRE_THROWS_WITH(optim::AdamW({p}, {.betas = {-0.1, 0.9}}), Catch::Contains("AdamW: betas.first (beta1)"));
  REQUIRE_THROWS_WITH(optim::Adam({p}, {.eps = -1e-8}), Catch::Contains("eps"));
  REQUIRE_THROWS_WITH(optim::AdamW({p}, {.weight_decay = std::nan("")}), Catch::Contains("AdamW: weight_decay"));
  REQUIRE_THROWS_WITH(optim::Adam({tensor({1.0})}, {}), Catch::Contains("Adam: parameter 0") &&
                                                         Catch::Contains("does not require a gradient"));
}
