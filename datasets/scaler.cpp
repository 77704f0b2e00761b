#include "datasets/scaler.h"

#include <algorithm>
#include <cmath>

#include "tensor/parallel.h"

namespace tg {

StandardScaler::StandardScaler(std::vector<double> mean, std::vector<double> scale)
    : mean_(std::move(mean)), scale_(std::move(scale)), fitted_(true) {
  check(mean_.size() == scale_.size(), "StandardScaler: ", mean_.size(), " means but ", scale_.size(), " scales");
  for (std::size_t j = 0; j < scale_.size(); ++j)
    check(scale_[j] > 0 && std::isfinite(scale_[j]) && std::isfinite(mean_[j]), "StandardScaler: feature ", j,
          " has mean ", mean_[j], " and scale ", scale_[j], "; expected finite values and a positive scale");
}

StandardScaler& StandardScaler::fit(const Tensor& features) {
  check(features.defined() && features.dim() == 2 && features.size(0) > 0, "StandardScaler::fit: features ",
        describe(features), ": expected [N, D] with N >= 1");
  const std::int64_t n = features.size(0), d = features.size(1);
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0), scale(static_cast<std::size_t>(d), 0.0);
  std::vector<char> constant(static_cast<std::size_t>(d),
                             1);  // char, not bool: a bit-packed vector is slow in the hot loop
  dispatch(features.dtype(), "StandardScaler::fit", [&]<class T>() {
    const T* x = features.data<T>();
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < d; ++j) {
        mean[j] += x[i * d + j];
        constant[j] &= x[i * d + j] == x[j];
      }
    for (std::int64_t j = 0; j < d; ++j) mean[j] /= static_cast<double>(n);
    // Two passes rather than Σx² − N·mean²: no cancellation for features far from zero.
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < d; ++j) {
        const double dev = x[i * d + j] - mean[j];
        scale[j] += dev * dev;
      }
    for (std::int64_t j = 0; j < d; ++j) {
      // A constant feature's mean is its value exactly; the summed mean could be off by an ulp
      // and its "std" a rounding residue that would blow the feature up.
      if (constant[j]) mean[j] = x[j];
      scale[j] = constant[j] ? 1.0 : std::sqrt(scale[j] / static_cast<double>(n));
    }
  });
  mean_ = std::move(mean);
  scale_ = std::move(scale);
  fitted_ = true;
  return *this;
}

Tensor StandardScaler::transform(const Tensor& features) const {
  check(fitted(), "StandardScaler::transform: the scaler has not been fitted");
  const auto d = static_cast<std::int64_t>(mean_.size());
  check(features.defined() && features.dim() == 2 && features.size(1) == d, "StandardScaler::transform: features ",
        describe(features), ": expected [M, ", d, "] (the scaler was fitted on ", d, " features)");
  Tensor y = empty_like(features);
  dispatch(features.dtype(), "StandardScaler::transform", [&]<class T>() {
    const T* x = features.data<T>();
    T* out = y.data<T>();
    parallel_for(
        features.size(0),
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i)
            for (std::int64_t j = 0; j < d; ++j) out[i * d + j] = static_cast<T>((x[i * d + j] - mean_[j]) / scale_[j]);
        },
        std::max<std::int64_t>(d, 1));
  });
  return y;
}

Dataset StandardScaler::transform(const Dataset& data) const {
  check_dataset(data, "StandardScaler::transform");
  return {transform(data.features), data.labels};
}

}  // namespace tg
