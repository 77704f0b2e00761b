#include "optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace tg::optim {

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : Scheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  check(step_size > 0 && gamma > 0, "StepLR: step_size ", step_size, " and gamma ", gamma, " must be positive");
}
double StepLR::lr_at(std::int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma) : Scheduler(optimizer), gamma_(gamma) {
  check(gamma > 0, "ExponentialLR: gamma ", gamma, " must be positive");
}
double ExponentialLR::lr_at(std::int64_t epoch) const { return base_lr_ * std::pow(gamma_, static_cast<double>(epoch)); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : Scheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  check(t_max > 0 && eta_min >= 0, "CosineAnnealingLR: t_max ", t_max, " must be positive and eta_min ", eta_min,
        " non-negative");
}
double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
  const double progress = static_cast<double>(std::min(epoch, t_max_)) / static_cast<double>(t_max_);
  return eta_min_ + (base_lr_ - eta_min_) * (1 + std::cos(std::numbers::pi * progress)) / 2;
}

}  // namespace tg::optim
