#include "train/early_stopping.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "autograd/tape.h"

namespace tg::optim {
namespace {
void copy_bytes(const Tensor& to, const Tensor& from) {
  if (const std::size_t bytes = to.numel() * dtype_size(to.dtype())) std::memcpy(to.raw_data(), from.raw_data(), bytes);
}
}  // namespace

EarlyStopping::EarlyStopping(nn::Module& model, EarlyStoppingOptions options) : model_(model), options_(options) {
  check(options.patience >= 1, "EarlyStopping: patience must be at least 1, got ", options.patience);
  check(options.window >= 1, "EarlyStopping: window must be at least 1, got ", options.window);
  check(options.min_delta >= 0 && std::isfinite(options.min_delta),
        "EarlyStopping: min_delta must be finite and non-negative, got ", options.min_delta);
  best_ = options.mode == Mode::min ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
}

bool EarlyStopping::step(double metric) {
  ++epoch_;
  recent_.push_back(metric);
  if (static_cast<std::int64_t>(recent_.size()) > options_.window) recent_.pop_front();
  monitored_ = std::accumulate(recent_.begin(), recent_.end(), 0.0) / static_cast<double>(recent_.size());
  const bool improved = options_.mode == Mode::min ? monitored_ < best_ - options_.min_delta
                                                   : monitored_ > best_ + options_.min_delta;
  if (!improved) {
    ++bad_epochs_;
    return should_stop();
  }
  best_ = monitored_;
  best_epoch_ = epoch_;
  bad_epochs_ = 0;
  if (options_.restore_best) {
    NoGrad no_grad;
    kept_.clear();
    for (const auto& [name, t] : model_.state_dict()) kept_.push_back({name, t, t.clone()});
  }
  return false;
}

void EarlyStopping::restore_best_weights() {
  check(options_.restore_best, "EarlyStopping.restore_best_weights: constructed with restore_best = false");
  check(!kept_.empty(), "EarlyStopping.restore_best_weights: no epoch has improved yet, so no weights were kept");
  for (const Kept& k : kept_)
    check(k.live.shape() == k.copy.shape() && k.live.dtype() == k.copy.dtype(), "EarlyStopping.restore_best_weights: '",
          k.name, "' is ", describe(k.live), " now but was ", describe(k.copy), " at epoch ", best_epoch_);
  for (const Kept& k : kept_) copy_bytes(k.live, k.copy);
}

}  // namespace tg::optim
