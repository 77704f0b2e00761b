#include "nn/init.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace tg::nn::init {
namespace {
// Fills w in place from src (same shape), keeping w's storage (Note [Parameters are handles]).
void assign(const Tensor& w, const Tensor& src) {
  std::memcpy(w.raw_data(), src.raw_data(), static_cast<std::size_t>(w.numel()) * dtype_size(w.dtype()));
}

void require_matrix(const char* fn, const Tensor& w) {
  check(w.dim() == 2, "init::", fn, ": expected a [out_features, in_features] weight, got ", describe(w));
}

struct Fans {
  double in, out;
};
// PyTorch's _calculate_fan_in_and_fan_out.
Fans fans(const char* fn, const Tensor& w) {
  check(w.dim() >= 2, "init::", fn, ": fans need a weight with at least 2 axes, got ", describe(w));
  double receptive = 1;
  for (int axis = 2; axis < w.dim(); ++axis) receptive *= static_cast<double>(w.size(axis));
  return {static_cast<double>(w.size(1)) * receptive, static_cast<double>(w.size(0)) * receptive};
}

double kaiming_std(const char* fn, const Tensor& w, double a, FanMode mode, Nonlinearity nonlinearity) {
  const Fans f = fans(fn, w);
  return calculate_gain(nonlinearity, a) / std::sqrt(mode == FanMode::fan_in ? f.in : f.out);
}

// Q of the thin QR factorisation of the row-major [m, n] matrix a (m ≥ n) by Householder
// reflections, each column's sign flipped so that R's diagonal is positive. Returns Q [m, n].
std::vector<double> householder_q(std::vector<double> a, std::int64_t m, std::int64_t n) {
  std::vector<std::vector<double>> reflectors;  // v_j over rows j..m-1, |v_j| = 1 (or all zero)
  std::vector<double> r_diagonal;
  for (std::int64_t j = 0; j < n; ++j) {
    double norm = 0;
    for (std::int64_t i = j; i < m; ++i) norm += a[i * n + j] * a[i * n + j];
    norm = std::sqrt(norm);
    // Reflect x = a[j:, j] onto alpha·e₁ with alpha of the sign opposite to x₀ (no cancellation).
    const double alpha = a[j * n + j] > 0 ? -norm : norm;
    std::vector<double> v(static_cast<std::size_t>(m - j));
    for (std::int64_t i = j; i < m; ++i) v[i - j] = a[i * n + j];
    v[0] -= alpha;
    double v_norm = 0;
    for (double x : v) v_norm += x * x;
    v_norm = std::sqrt(v_norm);
    if (v_norm > 0)
      for (double& x : v) x /= v_norm;
    for (std::int64_t c = j; c < n; ++c) {  // a[j:, j:] ← (I − 2vvᵀ)·a[j:, j:]
      double dot = 0;
      for (std::int64_t i = j; i < m; ++i) dot += v[i - j] * a[i * n + c];
      for (std::int64_t i = j; i < m; ++i) a[i * n + c] -= 2 * v[i - j] * dot;
    }
    r_diagonal.push_back(a[j * n + j]);
    reflectors.push_back(std::move(v));
  }
  // Q = H₀·H₁·…·H_{n−1} applied to the first n columns of the identity, last reflector first.
  std::vector<double> q(static_cast<std::size_t>(m * n), 0.0);
  for (std::int64_t j = 0; j < n; ++j) q[j * n + j] = 1;
  for (std::int64_t j = n - 1; j >= 0; --j) {
    const std::vector<double>& v = reflectors[static_cast<std::size_t>(j)];
    for (std::int64_t c = 0; c < n; ++c) {
      double dot = 0;
      for (std::int64_t i = j; i < m; ++i) dot += v[i - j] * q[i * n + c];
      for (std::int64_t i = j; i < m; ++i) q[i * n + c] -= 2 * v[i - j] * dot;
    }
  }
  for (std::int64_t c = 0; c < n; ++c)
    if (r_diagonal[static_cast<std::size_t>(c)] < 0)
      for (std::int64_t i = 0; i < m; ++i) q[i * n + c] = -q[i * n + c];
  return q;
}
}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double negative_slope) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::tanh: return 5.0 / 3.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: return std::sqrt(2.0 / (1 + negative_slope * negative_slope));
  }
  return 1.0;
}

void normal(const Tensor& w, Generator& gen, double mean, double std) { assign(w, randn(w.shape(), gen, w.dtype(), mean, std)); }
void uniform(const Tensor& w, Generator& gen, double low, double high) { assign(w, rand(w.shape(), gen, w.dtype(), low, high)); }

void lecun_normal(const Tensor& w, Generator& gen) {
  require_matrix("lecun_normal", w);
  normal(w, gen, 0.0, std::sqrt(1.0 / static_cast<double>(w.size(1))));
}

void he_normal(const Tensor& w, Generator& gen) {
  require_matrix("he_normal", w);
  normal(w, gen, 0.0, std::sqrt(2.0 / static_cast<double>(w.size(1))));
}

void glorot_uniform(const Tensor& w, Generator& gen) {
  require_matrix("glorot_uniform", w);
  xavier_uniform(w, gen, 1.0);
}

void xavier_uniform(const Tensor& w, Generator& gen, double gain) {
  const Fans f = fans("xavier_uniform", w);
  const double limit = gain * std::sqrt(6.0 / (f.in + f.out));
  uniform(w, gen, -limit, limit);
}

void xavier_normal(const Tensor& w, Generator& gen, double gain) {
  const Fans f = fans("xavier_normal", w);
  normal(w, gen, 0.0, gain * std::sqrt(2.0 / (f.in + f.out)));
}

void kaiming_uniform(const Tensor& w, Generator& gen, double a, FanMode mode, Nonlinearity nonlinearity) {
  const double limit = std::sqrt(3.0) * kaiming_std("kaiming_uniform", w, a, mode, nonlinearity);
  uniform(w, gen, -limit, limit);
}

void kaiming_normal(const Tensor& w, Generator& gen, double a, FanMode mode, Nonlinearity nonlinearity) {
  normal(w, gen, 0.0, kaiming_std("kaiming_normal", w, a, mode, nonlinearity));
}

void orthogonal(const Tensor& w, Generator& gen, double gain) {
  check(w.dim() >= 2, "init::orthogonal: expected a weight with at least 2 axes, got ", describe(w));
  const std::int64_t rows = w.size(0), cols = rows == 0 ? 0 : w.numel() / rows;
  if (w.numel() == 0) return;
  const std::vector<double> drawn = randn({rows, cols}, gen, DType::float64).to_vector();
  const bool wide = rows < cols;  // factor the transpose, so that QR's m ≥ n
  const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  std::vector<double> a(drawn.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) (wide ? a[c * n + r] : a[r * n + c]) = drawn[r * cols + c];
  const std::vector<double> q = householder_q(std::move(a), m, n);
  std::vector<double> out(drawn.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = gain * (wide ? q[c * n + r] : q[r * n + c]);
  assign(w, tensor(out, w.shape(), w.dtype()));
}

void zeros(const Tensor& w) { std::memset(w.raw_data(), 0, static_cast<std::size_t>(w.numel()) * dtype_size(w.dtype())); }
void constant(const Tensor& w, double value) { assign(w, full(w.shape(), value, w.dtype())); }

}  // namespace tg::nn::init
