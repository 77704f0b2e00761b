#include "optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>

namespace tg::optim {
namespace {

// The entries of a schedule's state list, which must be exactly `names`, each once.
std::map<std::string, Tensor> exact_entries(const NamedTensors& state, const std::vector<std::string>& names,
                                            const std::string& where) {
  std::map<std::string, Tensor> entries;
  for (const auto& [name, t] : state) {
    check(std::find(names.begin(), names.end(), name) != names.end(), where, "unexpected entry '", name, "' (",
          describe(t), ")");
    check(entries.emplace(name, t).second, where, "'", name, "' appears twice");
  }
  for (const std::string& name : names) check(entries.count(name), where, "'", name, "' is missing");
  return entries;
}

// A non-negative int64 0-dim counter.
std::int64_t counter(const std::map<std::string, Tensor>& entries, const std::string& name, const std::string& where) {
  const Tensor& t = entries.at(name);
  check(t.dtype() == DType::int64 && t.dim() == 0, where, "'", name, "' is ", describe(t), ", expected int64 0-dim");
  const std::int64_t value = *t.data<std::int64_t>();
  check(value >= 0, where, "'", name, "' must be non-negative, got ", value);
  return value;
}

}  // namespace

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lrs_(optimizer.initial_lrs()) {}

void Scheduler::set_epoch(std::int64_t epoch) {
  check(epoch >= 0, "Scheduler.set_epoch: epoch must be non-negative, got ", epoch);
  apply(epoch);
  epoch_ = epoch;
}

void Scheduler::apply(std::int64_t epoch) {
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, lr_at(epoch, base_lrs_[g]));
}

NamedTensors Scheduler::state() const {
  NamedTensors out{{"epoch", detail::int64_scalar(epoch_)}};
  for (std::size_t g = 0; g < base_lrs_.size(); ++g)
    out.emplace_back(cat("base_lr.", g), detail::float64_scalar(base_lrs_[g]));
  return out;
}

void Scheduler::load_state(const NamedTensors& state) {
  const std::string where = "Scheduler.load_state: ";
  std::vector<std::string> names{"epoch"};
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) names.push_back(cat("base_lr.", g));
  const auto entries = exact_entries(state, names, where);
  const std::int64_t epoch = counter(entries, "epoch", where);
  std::vector<double> base_lrs;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) {
    const std::string name = cat("base_lr.", g);
    base_lrs.push_back(detail::float64_value(entries.at(name), cat(where, "'", name, "'")));
    check(std::isfinite(base_lrs.back()) && base_lrs.back() >= 0, where, "'", name,
          "' must be finite and non-negative, got ", base_lrs.back());
  }
  epoch_ = epoch;
  base_lrs_ = std::move(base_lrs);
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : Scheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  check(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
  check(gamma > 0, "StepLR: gamma must be positive, got ", gamma);
}
double StepLR::lr_at(std::int64_t epoch, double base_lr) const {
  return base_lr * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : Scheduler(optimizer), gamma_(gamma) {
  check(gamma > 0, "ExponentialLR: gamma must be positive, got ", gamma);
}
double ExponentialLR::lr_at(std::int64_t epoch, double base_lr) const {
  return base_lr * std::pow(gamma_, static_cast<double>(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : Scheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  check(t_max > 0, "CosineAnnealingLR: t_max must be positive, got ", t_max);
  check(eta_min >= 0, "CosineAnnealingLR: eta_min must be non-negative, got ", eta_min);
}
double CosineAnnealingLR::lr_at(std::int64_t epoch, double base_lr) const {
  const double progress = static_cast<double>(std::min(epoch, t_max_)) / static_cast<double>(t_max_);
  return eta_min_ + (base_lr - eta_min_) * (1 + std::cos(std::numbers::pi * progress)) / 2;
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor, std::int64_t total_iters)
    : Scheduler(optimizer), start_factor_(start_factor), end_factor_(end_factor), total_iters_(total_iters) {
  check(start_factor > 0 && start_factor <= 1, "LinearLR: start_factor must be in (0, 1], got ", start_factor);
  check(end_factor >= 0 && end_factor <= 1, "LinearLR: end_factor must be in [0, 1], got ", end_factor);
  check(total_iters > 0, "LinearLR: total_iters must be positive, got ", total_iters);
  set_epoch(0);
}
double LinearLR::lr_at(std::int64_t epoch, double base_lr) const {
  const double progress = static_cast<double>(std::min(epoch, total_iters_)) / static_cast<double>(total_iters_);
  return base_lr * (start_factor_ + (end_factor_ - start_factor_) * progress);
}

SequentialLR::SequentialLR(Optimizer& optimizer, std::vector<std::shared_ptr<Scheduler>> schedulers,
                           std::vector<std::int64_t> milestones)
    : Scheduler(optimizer), schedulers_(std::move(schedulers)), milestones_(std::move(milestones)) {
  check(!schedulers_.empty(), "SequentialLR: needs at least one schedule");
  check(milestones_.size() + 1 == schedulers_.size(), "SequentialLR: ", schedulers_.size(), " schedules need ",
        schedulers_.size() - 1, " milestones, got ", milestones_.size());
  for (std::size_t i = 0; i < schedulers_.size(); ++i)
    check(schedulers_[i] && &schedulers_[i]->optimizer() == &optimizer, "SequentialLR: schedule ", i,
          " is null or drives another optimizer");
  for (std::size_t i = 0; i < milestones_.size(); ++i)
    check(milestones_[i] > (i == 0 ? 0 : milestones_[i - 1]), "SequentialLR: milestones must be positive and ",
          "increasing, got ", milestones_[i], " at position ", i);
  set_epoch(0);
}
double SequentialLR::lr_at(std::int64_t epoch, double base_lr) const {
  const auto later = std::upper_bound(milestones_.begin(), milestones_.end(), epoch);
  const std::size_t i = static_cast<std::size_t>(later - milestones_.begin());
  return schedulers_[i]->lr_at(i == 0 ? epoch : epoch - milestones_[i - 1], base_lr);
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, OneCycleOptions options) : Scheduler(optimizer), options_(options) {
  const OneCycleOptions& o = options_;
  check(o.max_lr > 0 && std::isfinite(o.max_lr), "OneCycleLR: max_lr must be positive, got ", o.max_lr);
  check(o.total_steps > 0, "OneCycleLR: total_steps must be positive, got ", o.total_steps);
  check(o.pct_start >= 0 && o.pct_start <= 1, "OneCycleLR: pct_start must be in [0, 1], got ", o.pct_start);
  check(o.div_factor > 0 && o.final_div_factor > 0, "OneCycleLR: div_factor ", o.div_factor, " and final_div_factor ",
        o.final_div_factor, " must be positive");
  if (o.cycle_momentum)
    for (std::size_t g = 0; g < optimizer.num_groups(); ++g)
      check(optimizer.momentum(g).has_value(), "OneCycleLR: cycle_momentum needs an optimizer with a momentum ",
            "(SGD, RMSprop, Adam's beta1); pass .cycle_momentum = false");
  const double initial = o.max_lr / o.div_factor, final_lr = initial / o.final_div_factor;
  const double steps = static_cast<double>(o.total_steps), up = o.pct_start * steps - 1;
  if (o.three_phase)
    phases_ = {{up, initial, o.max_lr, o.max_momentum, o.base_momentum},
               {2 * o.pct_start * steps - 2, o.max_lr, initial, o.base_momentum, o.max_momentum},
               {steps - 1, initial, final_lr, o.max_momentum, o.max_momentum}};
  else
    phases_ = {{up, initial, o.max_lr, o.max_momentum, o.base_momentum},
               {steps - 1, o.max_lr, final_lr, o.base_momentum, o.max_momentum}};
  for (double& base : base_lrs_) base = initial;
  set_epoch(0);
}

double OneCycleLR::anneal(double start, double end, double pct) const {
  if (options_.anneal_strategy == AnnealStrategy::linear) return (end - start) * pct + start;
  return end + (start - end) / 2 * (std::cos(std::numbers::pi * pct) + 1);
}

std::pair<const OneCycleLR::Phase*, double> OneCycleLR::locate(std::int64_t step) const {
  check(step <= options_.total_steps, "OneCycleLR: stepped to ", step, ", past total_steps ", options_.total_steps);
  const auto s = static_cast<double>(step);
  double start = 0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    // A phase of zero length (pct_start 0 or 1) is at its end at once, not 0/0; and step
    // total_steps (reached by the step() after the last batch) stays at the end instead of
    // extrapolating past it as PyTorch does (into a negative lr for a linear three-phase cycle).
    if (s <= phase.end_step || i + 1 == phases_.size())
      return {&phase, phase.end_step == start ? 1.0 : std::min(1.0, (s - start) / (phase.end_step - start))};
    start = phase.end_step;
  }
  return {&phases_.back(), 1.0};  // not reached: the last phase always matches
}

double OneCycleLR::lr_at(std::int64_t step, double) const {
  const auto [phase, pct] = locate(step);
  return anneal(phase->start_lr, phase->end_lr, pct);
}

double OneCycleLR::momentum_at(std::int64_t step) const {
  const auto [phase, pct] = locate(step);
  return anneal(phase->start_momentum, phase->end_momentum, pct);
}

void OneCycleLR::apply(std::int64_t step) {
  const double lr = lr_at(step, 0), momentum = momentum_at(step);
  for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
    optimizer_.set_lr(g, lr);
    if (options_.cycle_momentum) optimizer_.set_momentum(g, momentum);
  }
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : LRScheduler(optimizer), options_(options) {
  const ReduceLROnPlateauOptions& o = options_;
  check(o.factor >= 0 && o.factor < 1, "ReduceLROnPlateau: factor must be in [0, 1), got ", o.factor);
  check(o.patience >= 0, "ReduceLROnPlateau: patience must be non-negative, got ", o.patience);
  check(o.cooldown >= 0, "ReduceLROnPlateau: cooldown must be non-negative, got ", o.cooldown);
  check(o.threshold >= 0 && std::isfinite(o.threshold), "ReduceLROnPlateau: threshold must be finite and ",
        "non-negative, got ", o.threshold);
  check(o.min_lr >= 0, "ReduceLROnPlateau: min_lr must be non-negative, got ", o.min_lr);
  check(o.eps >= 0, "ReduceLROnPlateau: eps must be non-negative, got ", o.eps);
  best_ = o.mode == Mode::min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

bool ReduceLROnPlateau::is_better(double metric) const {
  const double t = options_.threshold;
  const bool rel = options_.threshold_mode == ThresholdMode::rel;
  if (options_.mode == Mode::min) return metric < (rel ? best_ * (1 - t) : best_ - t);
  return metric > (rel ? best_ * (1 + t) : best_ + t);
}

void ReduceLROnPlateau::step(double metric) {
  ++epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (cooldown_counter_ > 0) {  // bad epochs in cooldown are not counted
    --cooldown_counter_;
    num_bad_epochs_ = 0;
  }
  if (num_bad_epochs_ > options_.patience) {
    for (std::size_t g = 0; g < optimizer_.num_groups(); ++g) {
      const double old_lr = optimizer_.lr(g), new_lr = std::max(old_lr * options_.factor, options_.min_lr);
      if (old_lr - new_lr > options_.eps) optimizer_.set_lr(g, new_lr);
    }
    cooldown_counter_ = options_.cooldown;
    num_bad_epochs_ = 0;
  }
}

NamedTensors ReduceLROnPlateau::state() const {
  return {{"epoch", detail::int64_scalar(epoch_)},
          {"num_bad_epochs", detail::int64_scalar(num_bad_epochs_)},
          {"cooldown_counter", detail::int64_scalar(cooldown_counter_)},
          {"best", detail::float64_scalar(best_)}};
}

void ReduceLROnPlateau::load_state(const NamedTensors& state) {
  const std::string where = "ReduceLROnPlateau.load_state: ";
  const auto entries = exact_entries(state, {"epoch", "num_bad_epochs", "cooldown_counter", "best"}, where);
  const std::int64_t epoch = counter(entries, "epoch", where), bad = counter(entries, "num_bad_epochs", where),
                     cooldown = counter(entries, "cooldown_counter", where);
  const double best = detail::float64_value(entries.at("best"), where + "'best'");
  epoch_ = epoch, num_bad_epochs_ = bad, cooldown_counter_ = cooldown, best_ = best;
}

}  // namespace tg::optim
