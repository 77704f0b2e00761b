// Double-precision references for the layer tests: row-major [rows, cols] matrices as vectors.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace tg::test {

/// x [rows, in] · wᵀ (w [out, in]) + b (b empty for none).
inline std::vector<double> linear_reference(const std::vector<double>& x, const std::vector<double>& w,
                                            const std::vector<double>& b, std::int64_t in, std::int64_t out) {
  const std::size_t rows = x.size() / static_cast<std::size_t>(in);
  std::vector<double> y(rows * static_cast<std::size_t>(out));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::int64_t o = 0; o < out; ++o) {
      double s = b.empty() ? 0.0 : b[o];
      for (std::int64_t k = 0; k < in; ++k) s += x[r * in + k] * w[o * in + k];
      y[r * out + o] = s;
    }
  return y;
}

/// The same for a Linear-like layer's tensors.
inline std::vector<double> linear_reference(const std::vector<double>& x, const Tensor& weight, const Tensor& bias) {
  return linear_reference(x, weight.to_vector(), bias.defined() ? bias.to_vector() : std::vector<double>{},
                          weight.size(1), weight.size(0));
}

/// Batch normalisation of each column in training mode: batch mean, biased variance, γ = 1, β = 0.
inline std::vector<double> batch_norm_reference(std::vector<double> x, std::int64_t cols, double eps = 1e-5) {
  const std::size_t rows = x.size() / static_cast<std::size_t>(cols);
  for (std::int64_t c = 0; c < cols; ++c) {
    double mean = 0, var = 0;
    for (std::size_t r = 0; r < rows; ++r) mean += x[r * cols + c] / static_cast<double>(rows);
    for (std::size_t r = 0; r < rows; ++r)
      var += (x[r * cols + c] - mean) * (x[r * cols + c] - mean) / static_cast<double>(rows);
    for (std::size_t r = 0; r < rows; ++r) x[r * cols + c] = (x[r * cols + c] - mean) / std::sqrt(var + eps);
  }
  return x;
}

inline std::vector<double> relu_reference(std::vector<double> x) {
  for (double& v : x) v = v > 0 ? v : 0;
  return x;
}

}  // namespace tg::test
