// Learning-rate schedules, in closed form of the epoch count (PyTorch's values for the
// usual one-step-per-epoch use). Call step() once per epoch, after the epoch's updates.
#pragma once

#include <cstdint>

#include "optim/optimizer.h"

namespace tg::optim {

class Scheduler {
 public:
  explicit Scheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lr_(optimizer.lr()) {}
  virtual ~Scheduler() = default;
  /// Advances one epoch and sets the optimizer's learning rate.
  void step() { optimizer_.set_lr(lr_at(++epoch_)); }
  /// The learning rate after `epoch` steps.
  virtual double lr_at(std::int64_t epoch) const = 0;
  std::int64_t epoch() const { return epoch_; }
  /// Restores the epoch count (from a checkpoint) and the matching learning rate.
  void set_epoch(std::int64_t epoch) {
    epoch_ = epoch;
    optimizer_.set_lr(lr_at(epoch));
  }

 protected:
  Optimizer& optimizer_;
  double base_lr_;
  std::int64_t epoch_ = 0;
};

/// lr = base·gamma^⌊epoch / step_size⌋
class StepLR : public Scheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// lr = base·gamma^epoch
class ExponentialLR : public Scheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(std::int64_t epoch) const override;

 private:
  double gamma_;
};

/// lr = eta_min + (base − eta_min)·(1 + cos(π·epoch/t_max))/2, held at eta_min after t_max.
class CosineAnnealingLR : public Scheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);
  double lr_at(std::int64_t epoch) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

}  // namespace tg::optim
