// StandardScaler: per-feature standardisation, fitted on the training part only.
//   fit      : mean_j = (1/N) Σ_i x_ij,  scale_j = sqrt((1/N) Σ_i (x_ij − mean_j)²)   (population std)
//              a constant feature (all values equal) gets scale_j = 1, so it maps to x − mean = 0
//   transform: y_ij = (x_ij − mean_j) / scale_j
// Statistics are accumulated in double, in row order, on one thread: the same data always gives
// the same bits.
#pragma once

#include <vector>

#include "tensor/tensor.h"
#include "datasets/dataset.h"

namespace tg {

class StandardScaler {
 public:
  StandardScaler() = default;
  /// A scaler with known statistics (e.g. restored from a checkpoint); every scale must be > 0.
  StandardScaler(std::vector<double> mean, std::vector<double> scale);

  /// Learns mean and scale from features [N, D] (float32 or float64, N ≥ 1). Returns *this.
  StandardScaler& fit(const Tensor& features);
  /// (x − mean) / scale as a new tensor of x's dtype; x must be [M, D] with the fitted D.
  Tensor transform(const Tensor& features) const;
  /// The same dataset with its features transformed; the labels are shared, not copied.
  Dataset transform(const Dataset& data) const;

  bool fitted() const { return fitted_; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }

 private:
  std::vector<double> mean_, scale_;
  bool fitted_ = false;
};

}  // namespace tg
