// Progress: what a long training run shows while it works.
//
// On a terminal it redraws one line — epoch, step, loss, samples/s, ETA — at most a few times a
// second; when stdout is not a terminal (CI, a log file, a pipe) it prints nothing per step and
// one plain line per epoch, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace tg::optim {

class Progress {
 public:
  /// `total_epochs` and `steps_per_epoch` size the ETA; `label` prefixes every line (e.g. "snn d=8").
  Progress(std::string label, std::int64_t total_epochs, std::int64_t steps_per_epoch, std::int64_t batch_size);

  /// Call after every optimizer step with that step's loss.
  void step(double loss);
  /// Call at the end of an epoch; `summary` is appended to the epoch's line (e.g. "valid_acc 0.8812").
  void end_epoch(std::int64_t epoch, double epoch_loss, const std::string& summary = "");

  bool interactive() const { return interactive_; }

 private:
  double elapsed_seconds() const;

  std::string label_;
  std::int64_t total_epochs_, steps_per_epoch_, batch_size_;
  std::int64_t steps_done_ = 0;  // over the whole run
  double last_draw_ = -1;
  bool interactive_;
  std::chrono::steady_clock::time_point start_;
};

/// "1h02m", "3m07s", "12s".
std::string format_duration(double seconds);

}  // namespace tg::optim
