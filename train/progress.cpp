#include "train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace tg::optim {

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

Progress::Progress(std::string label, std::int64_t total_epochs, std::int64_t steps_per_epoch, std::int64_t batch_size)
    : label_(std::move(label)),
      total_epochs_(total_epochs),
      steps_per_epoch_(steps_per_epoch),
      batch_size_(batch_size),
      interactive_(::isatty(STDOUT_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::step(double loss) {
  ++steps_done_;
  if (!interactive_) return;
  const double now = elapsed_seconds();
  if (now - last_draw_ < 0.2 && steps_done_ % steps_per_epoch_ != 0) return;  // redraw ≤ 5 times a second
  last_draw_ = now;
  const std::int64_t total = total_epochs_ * steps_per_epoch_;
  const double rate = static_cast<double>(steps_done_) / now;
  const double eta = static_cast<double>(total - steps_done_) / rate;
  const std::int64_t epoch = (steps_done_ - 1) / steps_per_epoch_ + 1;
  const std::int64_t step = (steps_done_ - 1) % steps_per_epoch_ + 1;
  const int width = 24;
  const int filled = static_cast<int>(width * step / steps_per_epoch_);
  std::printf("\r%s epoch %lld/%lld [%.*s%*s] %lld/%lld loss %.4g  %.0f samples/s  ETA %s\033[K", label_.c_str(),
              static_cast<long long>(epoch), static_cast<long long>(total_epochs_), filled,
              "########################", width - filled, "", static_cast<long long>(step),
              static_cast<long long>(steps_per_epoch_), loss, rate * static_cast<double>(batch_size_),
              format_duration(eta).c_str());
  std::fflush(stdout);
}

void Progress::end_epoch(std::int64_t epoch, double epoch_loss, const std::string& summary) {
  const double now = elapsed_seconds();
  const double done = static_cast<double>(epoch) / static_cast<double>(total_epochs_);
  std::printf("%s%s epoch %lld/%lld loss %.6g%s%s  (%s elapsed, ETA %s)\n", interactive_ ? "\r\033[K" : "",
              label_.c_str(), static_cast<long long>(epoch), static_cast<long long>(total_epochs_), epoch_loss,
              summary.empty() ? "" : "  ", summary.c_str(), format_duration(now).c_str(),
              format_duration(now / done - now).c_str());
  std::fflush(stdout);
}

}  // namespace tg::optim
