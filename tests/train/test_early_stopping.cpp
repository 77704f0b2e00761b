#include <cmath>

#include "nn/layers.h"
#include "support.h"
#include "train/early_stopping.h"

using namespace tg;

namespace {
// Sets every parameter and buffer of the model to `value` (the weights "of epoch value").
void fill(nn::Module& model, double value) {
  for (auto& [name, t] : model.state_dict()) {
    if (t.dtype() == DType::int64)
      *t.data<std::int64_t>() = static_cast<std::int64_t>(value);
    else
      for (std::int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(value);
  }
}
double first_weight(const nn::Module& model) { return model.state_dict()[0].second.to_vector()[0]; }
}  // namespace

TEST_CASE("early stopping stops after patience epochs without improvement and restores the best weights") {
  Generator gen(1);
  nn::Sequential model{nn::Linear(2, 3, gen), nn::BatchNorm1d(3)};
  optim::EarlyStopping stopper(model, {.patience = 3, .min_delta = 0.01});
  const std::vector<double> losses = {1.0, 0.8, 0.795, 0.9, 0.7, 0.71, 0.705, 0.702, 0.5};
  std::vector<bool> stops;
  for (std::size_t epoch = 0; epoch < losses.size(); ++epoch) {
    fill(model, static_cast<double>(epoch + 1));
    stops.push_back(stopper.step(losses[epoch]));
    if (stops.back()) break;
  }
  // Improvements (by more than 0.01): epochs 1, 2 and 5; 0.795 does not beat 0.8 − 0.01. Epochs
  // 6, 7, 8 don't beat 0.7 − 0.01, so the third of them stops, and epoch 9 never runs.
  CHECK(stops == std::vector<bool>{false, false, false, false, false, false, false, true});
  CHECK(stopper.should_stop());
  CHECK(stopper.best() == 0.7);
  CHECK(stopper.best_epoch() == 5);
  CHECK(stopper.epochs_without_improvement() == 3);
  CHECK(first_weight(model) == 8);
  stopper.restore_best_weights();
  CHECK(first_weight(model) == 5);
  for (const auto& [name, t] : model.state_dict())
    CHECK(t.to_vector() == std::vector<double>(static_cast<std::size_t>(t.numel()), 5.0));  // buffers too
}

TEST_CASE("early stopping on a moving average, in max mode, and with NaN") {
  Generator gen(2);
  nn::Linear model(2, 2, gen);
  // Window 3 over an accuracy: the mean of the last 3 values (fewer at first).
  optim::EarlyStopping stopper(model, {.patience = 2, .mode = optim::Mode::max, .window = 3});
  const std::vector<double> accuracy = {0.5, 0.7, 0.6, 0.9, 0.4, 0.5, 0.55};
  const std::vector<double> averages = {0.5, 0.6, 0.6, 0.7333333333333334, 0.6333333333333333, 0.6, 0.48333333333333334};
  std::vector<bool> stops;
  for (std::size_t epoch = 0; epoch < accuracy.size(); ++epoch) {
    fill(model, static_cast<double>(epoch + 1));
    stops.push_back(stopper.step(accuracy[epoch]));
    CHECK(stopper.monitored() == Approx(averages[epoch]).epsilon(1e-15));
    if (stops.back()) break;
  }
  // Best average at epoch 4 (0.733); epochs 5 and 6 fall short: stop after epoch 6. Epoch 3's
  // 0.6 equals epoch 2's and is not an improvement.
  CHECK(stops == std::vector<bool>{false, false, false, false, false, true});
  CHECK(stopper.best_epoch() == 4);
  stopper.restore_best_weights();
  CHECK(first_weight(model) == 4);

  optim::EarlyStopping nan_stopper(model, {.patience = 1});
  CHECK_FALSE(nan_stopper.step(1.0));
  CHECK(nan_stopper.step(std::nan("")));  // a NaN never improves
}

TEST_CASE("early stopping rejects bad options and a restore it cannot do") {
  Generator gen(3);
  nn::Linear model(2, 2, gen);
  REQUIRE_THROWS_WITH(optim::EarlyStopping(model, {.patience = 0}), Catch::Contains("patience must be at least 1"));
  REQUIRE_THROWS_WITH(optim::EarlyStopping(model, {.window = 0}), Catch::Contains("window must be at least 1"));
  REQUIRE_THROWS_WITH(optim::EarlyStopping(model, {.min_delta = -1}), Catch::Contains("min_delta"));
  optim::EarlyStopping fresh(model);
  REQUIRE_THROWS_WITH(fresh.restore_best_weights(), Catch::Contains("no epoch has improved yet"));
  optim::EarlyStopping no_copy(model, {.restore_best = false});
  no_copy.step(1.0);
  REQUIRE_THROWS_WITH(no_copy.restore_best_weights(), Catch::Contains("restore_best = false"));
  optim::EarlyStopping changed(model);
  changed.step(1.0);
  model.to(DType::float64);
  REQUIRE_THROWS_WITH(changed.restore_best_weights(),
                      Catch::Contains("'weight' is [2, 2] float64 now but was [2, 2] float32 at epoch 1"));
}
