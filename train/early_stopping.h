// Early stopping: watch a validation metric once per epoch, stop when it has not improved for
// `patience` epochs, and keep the best epoch's weights to restore.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"
#include "optim/scheduler.h"

namespace tg::optim {

struct EarlyStoppingOptions {
  std::int64_t patience = 10;  ///< epochs in a row without improvement before stopping
  double min_delta = 0;        ///< an improvement must beat the best by more than this
  Mode mode = Mode::min;       ///< min for a loss, max for an accuracy
  /// Monitor the mean of the last `window` values (fewer during the first window−1 epochs) instead
  /// of the raw value; the SNN paper's UCI protocol stops on the 10-epoch moving average.
  std::int64_t window = 1;
  bool restore_best = true;    ///< keep a copy of the best epoch's parameters and buffers
};

/// Call step(metric) after each epoch's validation; stop training when it returns true:
///   optim::EarlyStopping stopper(model, {.patience = 10, .window = 10});
///   for (int epoch = 0; epoch < 100; ++epoch) { train(); if (stopper.step(validation_loss())) break; }
///   stopper.restore_best_weights();
/// The monitored value of epoch t is the mean of the metrics of epochs max(1, t−window+1)..t. It
/// improves when it is below best − min_delta (max mode: above best + min_delta); a NaN never
/// improves. With restore_best, every improvement copies the model's parameters and buffers (all
/// of state_dict()), and restore_best_weights() copies them back into the same tensors.
class EarlyStopping {
 public:
  explicit EarlyStopping(nn::Module& model, EarlyStoppingOptions options = {});

  /// Records one epoch's metric; true once `patience` epochs in a row have not improved.
  bool step(double metric);
  bool should_stop() const { return bad_epochs_ >= options_.patience; }

  /// The best monitored value so far (±inf before the first epoch).
  double best() const { return best_; }
  /// The epoch (1-based) whose monitored value was best; 0 before any improvement.
  std::int64_t best_epoch() const { return best_epoch_; }
  std::int64_t epoch() const { return epoch_; }
  /// The monitored value of the latest epoch (the moving average with window > 1).
  double monitored() const { return monitored_; }
  std::int64_t epochs_without_improvement() const { return bad_epochs_; }

  /// Copies the best epoch's parameters and buffers back into the model (handles stay valid).
  /// tg::Error without restore_best or before the first improvement.
  void restore_best_weights();

 private:
  nn::Module& model_;
  EarlyStoppingOptions options_;
  std::deque<double> recent_;  // the last `window` metrics
  double best_, monitored_ = 0;
  std::int64_t epoch_ = 0, best_epoch_ = 0, bad_epochs_ = 0;
  struct Kept {
    std::string name;
    Tensor live, copy;  // the model's tensor and its value at the best epoch
  };
  std::vector<Kept> kept_;
};

}  // namespace tg::optim
