// Parameter groups (Note [Parameter groups]) for every optimizer, and the optimizer state that
// checkpoints save (Note [Optimizer state]): what it names and how load_state checks it.
#include <cmath>
#include <cstring>

#include "optim/adam.h"
#include "optim/optim_support.h"
#include "optim/rmsprop.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"

using namespace tg;
using test::param;

namespace {

// Every state tensor's name and bytes, to see that a failed load changed nothing.
std::vector<std::pair<std::string, std::vector<double>>> contents(const optim::Optimizer& opt) {
  std::vector<std::pair<std::string, std::vector<double>>> out;
  for (const auto& [name, t] : opt.state()) out.emplace_back(name, t.to_vector());
  return out;
}

// Each group of `grouped` moves as an optimizer of its own would: the same trajectory as `Single`
// built on that group's parameters and options alone.
template <class Optimizer, class Options>
void check_groups_act_alone(const Options& first, const Options& second) {
  Tensor a = param({1.0, -2.0}), b = param({0.5});
  Optimizer grouped({{.params = {a}, .options = first}, {.params = {b}, .options = second}});
  Tensor a_alone = param({1.0, -2.0}), b_alone = param({0.5});
  Optimizer only_first({a_alone}, first), only_second({b_alone}, second);
  for (int step = 0; step < 3; ++step) {
    for (Tensor* p : {&a, &b, &a_alone, &b_alone}) test::set_grad(*p, test::quadratic_grad(p->to_vector()));
    grouped.step();
    only_first.step();
    only_second.step();
  }
  CHECK(a.to_vector() == a_alone.to_vector());
  CHECK(b.to_vector() == b_alone.to_vector());
  CHECK(a.to_vector() != std::vector<double>{1.0, -2.0});
  CHECK(grouped.num_groups() == 2);
  CHECK(grouped.lr(1) == second.lr);
  CHECK(grouped.params().size() == 2);
  CHECK(grouped.params(1)[0].same(b));
}

}  // namespace

TEST_CASE("each parameter group follows its own options, for every optimizer") {
  check_groups_act_alone<optim::SGD>(optim::SGDOptions{.lr = 0.1},
                                     optim::SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.1});
  check_groups_act_alone<optim::Adam>(optim::AdamOptions{.lr = 0.1}, optim::AdamOptions{.lr = 0.01, .amsgrad = true});
  check_groups_act_alone<optim::AdamW>(optim::AdamWOptions{.lr = 0.1},
                                       optim::AdamWOptions{.lr = 0.02, .weight_decay = 0.5});
  check_groups_act_alone<optim::RMSprop>(optim::RMSpropOptions{.lr = 0.01},
                                         optim::RMSpropOptions{.lr = 0.02, .momentum = 0.5, .centered = true});
}

TEST_CASE("group options can be read and changed between steps, and set_lr sets every group") {
  Tensor a = param({1.0}), b = param({1.0});
  optim::SGD sgd({{.params = {a}, .options = {.lr = 0.1}}, {.params = {b}, .options = {.lr = 0.2}}});
  sgd.options(1).momentum = 0.5;
  CHECK(sgd.param_groups()[1].options.momentum == 0.5);
  CHECK(sgd.momentum(1) == 0.5);
  sgd.set_lr(0.3);
  CHECK(sgd.lr(0) == 0.3);
  CHECK(sgd.lr(1) == 0.3);
  sgd.set_lr(1, 0.4);
  CHECK(sgd.lr() == 0.3);  // group 0's
  CHECK(sgd.lr(1) == 0.4);
  REQUIRE_THROWS_WITH(sgd.lr(2), Catch::Contains("SGD: parameter group 2 does not exist (2 groups)"));
  REQUIRE_THROWS_WITH(sgd.options(5), Catch::Contains("SGD: parameter group 5"));
}

TEST_CASE("a parameter in two groups, or one that needs no gradient, is an error naming it") {
  Tensor a = param({1.0}), b = param({2.0});
  REQUIRE_THROWS_WITH(optim::SGD({{.params = {a, b}, .options = {}}, {.params = {b}, .options = {}}}),
                      Catch::Contains("SGD: parameter 2 (group 1) is also in group 0"));
  REQUIRE_THROWS_WITH(optim::Adam({{.params = {a}, .options = {}}, {.params = {tensor({1.0})}, .options = {}}}),
                      Catch::Contains("Adam: parameter 1 (group 1, [1] float32) does not require a gradient"));
  REQUIRE_THROWS_WITH(optim::RMSprop({{.params = {a}, .options = {}}, {.params = {b}, .options = {.lr = -2}}}),
                      Catch::Contains("RMSprop: group 1: lr must be finite and non-negative, got -2"));
}

TEST_CASE("schedules drive every group from its own base learning rate") {
  Tensor a = param({1.0}), b = param({1.0});
  optim::SGD sgd({{.params = {a}, .options = {.lr = 0.1}}, {.params = {b}, .options = {.lr = 1.0}}});
  optim::StepLR schedule(sgd, 2, 0.5);
  for (int epoch = 0; epoch < 4; ++epoch) schedule.step();
  CHECK(sgd.lr(0) == 0.1 * 0.25);
  CHECK(sgd.lr(1) == 1.0 * 0.25);
  CHECK(schedule.base_lrs() == std::vector<double>{0.1, 1.0});
}

TEST_CASE("optimizer state names every group option and per-parameter tensor, and round-trips") {
  Tensor a = param({1.0, 2.0}), b = param({3.0});
  optim::Adam adam({{.params = {a}, .options = {.lr = 0.1}}, {.params = {b}, .options = {.lr = 0.2, .amsgrad = true}}});
  for (int step = 0; step < 2; ++step) {
    test::set_grad(a, {0.5, -0.5});
    test::set_grad(b, {1.0});
    adam.step();
  }
  std::vector<std::string> names;
  for (const auto& [name, t] : adam.state()) names.push_back(name);
  CHECK(names == std::vector<std::string>{
                     "group.0.lr", "group.0.beta1", "group.0.beta2", "group.0.eps", "group.0.weight_decay",
                     "group.0.amsgrad", "group.1.lr", "group.1.beta1", "group.1.beta2", "group.1.eps",
                     "group.1.weight_decay", "group.1.amsgrad", "step.0", "exp_avg.0", "exp_avg_sq.0", "step.1",
                     "exp_avg.1", "exp_avg_sq.1", "max_exp_avg_sq.1"});

  // A fresh optimizer with other options takes all of it, options included, and then moves
  // exactly as the original does.
  Tensor a2 = param({1.0, 2.0}), b2 = param({3.0});
  std::memcpy(a2.raw_data(), a.raw_data(), 2 * sizeof(double));
  std::memcpy(b2.raw_data(), b.raw_data(), sizeof(double));
  optim::Adam restored({{.params = {a2}, .options = {.lr = 9}}, {.params = {b2}, .options = {.lr = 9}}});
  restored.load_state(adam.state());
  CHECK(contents(restored) == contents(adam));
  CHECK(restored.lr(1) == 0.2);
  CHECK(restored.options(1).amsgrad);
  for (auto [p, q] : {std::pair{a, a2}, std::pair{b, b2}}) {
    test::set_grad(p, std::vector<double>(static_cast<std::size_t>(p.numel()), 0.25));
    test::set_grad(q, std::vector<double>(static_cast<std::size_t>(q.numel()), 0.25));
  }
  adam.step();
  restored.step();
  CHECK(a2.to_vector() == a.to_vector());
  CHECK(b2.to_vector() == b.to_vector());
}

TEST_CASE("load_state rejects bad entries, naming them, and changes nothing") {
  Tensor a = param({1.0, 2.0}), b = param({3.0});
  optim::SGD sgd({{.params = {a}, .options = {.lr = 0.1, .momentum = 0.9}}, {.params = {b}, .options = {.lr = 0.2}}});
  test::set_grad(a, {1.0, 1.0});
  sgd.step();
  const NamedTensors good = sgd.state();
  const auto before = contents(sgd);

  // `good` with the entry `name` replaced by (or, if absent, extended with) `value`.
  auto with = [&](const std::string& name, const Tensor& value) {
    NamedTensors state;
    bool replaced = false;
    for (const auto& [n, t] : good) {
      state.emplace_back(n, n == name ? value : t);
      replaced = replaced || n == name;
    }
    if (!replaced) state.emplace_back(name, value);
    return state;
  };
  auto without = [&](const std::string& name) {
    NamedTensors state;
    for (const auto& [n, t] : good)
      if (n != name) state.emplace_back(n, t);
    return state;
  };
  const Tensor buffer = zeros({2}, DType::float64), nan = tensor({NAN}, DType::float64).reshape({});
  const std::vector<std::pair<NamedTensors, std::string>> cases = {
      {with("momentum_buffer.x", buffer), "'momentum_buffer.x' ([2] float64): the index must name one of the 2"},
      {with("momentum_buffer.0junk", buffer), "'momentum_buffer.0junk'"},
      {with("momentum_buffer.01", buffer), "'momentum_buffer.01'"},
      {with("momentum_buffer.-1", buffer), "'momentum_buffer.-1'"},
      {with("momentum_buffer.2", buffer), "'momentum_buffer.2'"},
      {with("momentum_buffer.1", buffer), "does not match parameter 1 ([1] float64)"},
      {with("momentum_buffer.0", zeros({2}, DType::float32)), "does not match parameter 0 ([2] float64)"},
      {with("exp_avg.0", buffer), "SGD keeps no 'exp_avg' state"},
      {with("step.0", zeros(Shape{}, DType::int64)), "'step.0' ([] int64): the step count must be positive, got 0"},
      {with("step.0", zeros(Shape{}, DType::float64)), "expected an int64 0-dim step count"},
      {with("group.0.lr", nan), "'group.0.lr' ([] float64): the value is NaN"},
      {with("group.0.lr", tensor({-0.5}, DType::float64).reshape({})), "group 0: lr must be finite and non-negative, got -0.5"},
      {with("group.0.lr", tensor({0.5}, DType::float32).reshape({})), "expected a float64 0-dim value"},
      {with("group.1.nesterov", tensor({0.5}, DType::float64).reshape({})), "a flag must be 0 or 1, got 0.5"},
      {with("group.1.nesterov", tensor({1}, DType::float64).reshape({})), "group 1: nesterov needs momentum > 0"},
      {with("group.2.lr", tensor({0.5}, DType::float64).reshape({})), "the optimizer has 2 parameter group(s)"},
      {with("group.0.betas", tensor({0.5}, DType::float64).reshape({})), "SGD has no option 'betas'"},
      {with("junk", buffer), "'junk' ([2] float64): not an entry of SGD's state"},
      {without("group.1.dampening"), "'group.1.dampening' is missing"},
  };
  for (const auto& [state, message] : cases) {
    INFO(message);
    REQUIRE_THROWS_WITH(sgd.load_state(state), Catch::Contains("SGD.load_state: ") && Catch::Contains(message));
    CHECK(contents(sgd) == before);
  }
  NamedTensors twice = good;
  twice.push_back(good.front());
  REQUIRE_THROWS_WITH(sgd.load_state(twice), Catch::Contains("'group.0.lr' ([] float64): appears twice"));
  CHECK(contents(sgd) == before);

  // Without the buffer the parameter starts fresh: its first momentum step copies the direction.
  sgd.load_state(without("momentum_buffer.0"));
  test::set_grad(a, {1.0, 1.0});
  const std::vector<double> start = a.to_vector();
  sgd.step();
  CHECK(a.at({0}) == Approx(start[0] - 0.1 * 1.0));
}
