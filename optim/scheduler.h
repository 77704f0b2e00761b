// Learning-rate schedules, as torch.optim.lr_scheduler: each parameter group's rate follows the
// schedule from its own base, the group's lr when the first schedule was attached
// (Optimizer::initial_lrs()).
//
// Most schedules are closed forms of a step count (class Scheduler): call step() once per epoch
// after the epoch's updates — or once per batch for OneCycleLR, whose count is in batches.
// ReduceLROnPlateau instead reacts to a metric: step(validation_loss) once per epoch.
//
// Note [Schedule state]
// ~~~~~~~~~~~~~~~~~~~~~
// state() is what a checkpoint saves under "scheduler/" (train/checkpoint.h):
//   a Scheduler          epoch (int64), base_lr.<g> (float64) for every group g
//   ReduceLROnPlateau    epoch, num_bad_epochs, cooldown_counter (int64), best (float64)
// load_state() checks all of it before changing anything and restores counters only: the
// learning rates themselves are the optimizer's state, saved and restored with it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "optim/optimizer.h"

namespace tg::optim {

/// Whether a monitored quantity should go down (a loss) or up (an accuracy).
enum class Mode { min, max };

/// The base of every schedule: the optimizer it drives and each group's base learning rate.
class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  LRScheduler(const LRScheduler&) = delete;
  LRScheduler& operator=(const LRScheduler&) = delete;

  Optimizer& optimizer() const { return optimizer_; }
  /// Each group's base learning rate.
  const std::vector<double>& base_lrs() const { return base_lrs_; }

  /// Counters for checkpoints (Note [Schedule state]).
  virtual NamedTensors state() const = 0;
  /// Restores state(); all of it or, on tg::Error naming the entry, nothing.
  virtual void load_state(const NamedTensors& state) = 0;

 protected:
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
};

/// A schedule in closed form: group g's learning rate after `epoch` steps is lr_at(epoch, base_lrs()[g]).
class Scheduler : public LRScheduler {
 public:
  explicit Scheduler(Optimizer& optimizer) : LRScheduler(optimizer) {}
  /// Advances one step and sets the optimizer's learning rates.
  void step() { set_epoch(epoch_ + 1); }
  /// The learning rate after `epoch` steps of a group whose base is `base_lr`.
  virtual double lr_at(std::int64_t epoch, double base_lr) const = 0;
  std::int64_t epoch() const { return epoch_; }
  /// Jumps to `epoch` steps and sets the matching learning rates.
  void set_epoch(std::int64_t epoch);

  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 protected:
  /// Sets every group's learning rate for `epoch` (OneCycleLR sets the momentum too).
  virtual void apply(std::int64_t epoch);

 private:
  std::int64_t epoch_ = 0;
};

/// lr = base·gamma^⌊epoch / step_size⌋
class StepLR : public Scheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);
  double lr_at(std::int64_t epoch, double base_lr) const override;

 private:
  std::int64_t step_size_;
  double gamma_;
};

/// lr = base·gamma^epoch
class ExponentialLR : public Scheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(std::int64_t epoch, double base_lr) const override;

 private:
  double gamma_;
};

/// lr = eta_min + (base − eta_min)·(1 + cos(π·epoch/t_max))/2, held at eta_min after t_max.
class CosineAnnealingLR : public Scheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);
  double lr_at(std::int64_t epoch, double base_lr) const override;

 private:
  std::int64_t t_max_;
  double eta_min_;
};

/// Linear warm-up (torch's LinearLR, same defaults):
///   lr = base·(start_factor + (end_factor − start_factor)·min(epoch, total_iters)/total_iters)
/// It sets lr = base·start_factor at construction, so the first epoch already trains warmed
/// down. Follow it with another schedule through SequentialLR:
///   SequentialLR(opt, {make_shared<LinearLR>(opt, 0.1, 1.0, 5), make_shared<CosineAnnealingLR>(opt, 95)}, {5})
class LinearLR : public Scheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, std::int64_t total_iters = 5);
  double lr_at(std::int64_t epoch, double base_lr) const override;

 private:
  double start_factor_, end_factor_;
  std::int64_t total_iters_;
};

/// Runs schedules one after another (torch's SequentialLR): schedules[0] until milestones[0],
/// then schedules[1] counted from 0 again, and so on. All must drive `optimizer`. Sets the
/// learning rate of epoch 0 at construction.
class SequentialLR : public Scheduler {
 public:
  SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<Scheduler>> schedulers,
               std::vector<std::int64_t> milestones);
  double lr_at(std::int64_t epoch, double base_lr) const override;

 private:
  std::vector<std::shared_ptr<Scheduler>> schedulers_;
  std::vector<std::int64_t> milestones_;
};

enum class AnnealStrategy { cos, linear };

struct OneCycleOptions {
  double max_lr = 0;              ///< the peak learning rate (required), for every group
  std::int64_t total_steps = 0;   ///< batches in the whole run (required): epochs × batches per epoch
  double pct_start = 0.3;         ///< fraction of the steps spent increasing the learning rate
  AnnealStrategy anneal_strategy = AnnealStrategy::cos;
  bool cycle_momentum = true;     ///< cycle momentum (Adam: β₁) inversely, between these two:
  double base_momentum = 0.85, max_momentum = 0.95;
  double div_factor = 25;         ///< initial lr = max_lr / div_factor
  double final_div_factor = 1e4;  ///< final lr = initial lr / final_div_factor
  bool three_phase = false;       ///< a third phase anneals back down from the initial lr
};

/// The 1cycle policy (Smith & Topin 2018), torch's OneCycleLR with its defaults: step() once per
/// batch, total_steps times. Phase 1 (pct_start of the steps) anneals lr from max_lr/div_factor
/// up to max_lr and momentum from max_momentum down to base_momentum; phase 2 anneals lr down to
/// max_lr/(div_factor·final_div_factor) and momentum back up. Annealing is cosine,
///   a(start, end, pct) = end + (start − end)·(1 + cos(π·pct))/2,
/// or linear. A phase ends at step pct_start·total_steps − 1 and the last at total_steps − 1 (as
/// PyTorch counts); step total_steps, reached by the step() after the last batch, keeps the final
/// values (PyTorch extrapolates past them), and stepping further is a tg::Error. The base of the
/// optimizer's groups is not used. cycle_momentum needs an optimizer with a momentum (SGD,
/// RMSprop, Adam's β₁) and overwrites it, as PyTorch does — even an SGD built with momentum 0.
class OneCycleLR : public Scheduler {
 public:
  OneCycleLR(Optimizer& optimizer, OneCycleOptions options);
  double lr_at(std::int64_t step, double base_lr) const override;
  double momentum_at(std::int64_t step) const;

 protected:
  void apply(std::int64_t step) override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_momentum, end_momentum;
  };
  // The phase that `step` is in and how far through it (0 at its start, 1 at its end).
  std::pair<const Phase*, double> locate(std::int64_t step) const;
  double anneal(double start, double end, double pct) const;

  OneCycleOptions options_;
  std::vector<Phase> phases_;
};

enum class ThresholdMode { rel, abs };

struct ReduceLROnPlateauOptions {
  Mode mode = Mode::min;
  double factor = 0.1;          ///< new lr = max(lr·factor, min_lr); must be < 1
  std::int64_t patience = 10;   ///< epochs without improvement tolerated before a reduction
  double threshold = 1e-4;      ///< what counts as an improvement, see ReduceLROnPlateau
  ThresholdMode threshold_mode = ThresholdMode::rel;
  std::int64_t cooldown = 0;    ///< epochs after a reduction during which bad epochs are not counted
  double min_lr = 0;            ///< lower bound of every group's lr
  double eps = 1e-8;            ///< a reduction smaller than eps is not made
};

/// Reduces the learning rate when a metric stops improving (torch's ReduceLROnPlateau, same
/// defaults). step(metric) once per epoch: the metric improves on the best so far when it is
///   min, rel: metric < best·(1 − threshold)     min, abs: metric < best − threshold
///   max, rel: metric > best·(1 + threshold)     max, abs: metric > best + threshold
/// (a NaN metric never improves). After more than `patience` epochs in a row without an
/// improvement, every group's lr becomes max(lr·factor, min_lr) (unless that changes it by less
/// than eps), and the next `cooldown` epochs are not counted as bad.
class ReduceLROnPlateau : public LRScheduler {
 public:
  explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});
  void step(double metric);

  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  std::int64_t cooldown_counter() const { return cooldown_counter_; }
  std::int64_t epoch() const { return epoch_; }

  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 private:
  bool is_better(double metric) const;

  ReduceLROnPlateauOptions options_;
  double best_;
  std::int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, epoch_ = 0;
};

}  // namespace tg::optim
