#include "nn/init.h"

#include <cmath>
#include <cstring>

namespace tg::nn::init {
namespace {
// Fills w in place from src (same shape), keeping w's storage (Note [Parameters are handles]).
void assign(const Tensor& w, const Tensor& src) {
  std::memcpy(w.raw_data(), src.raw_data(), static_cast<std::size_t>(w.numel()) * dtype_size(w.dtype()));
}

void require_matrix(const char* fn, const Tensor& w) {
  check(w.dim() == 2, "init::", fn, ": expected a [out_features, in_features] weight, got ", describe(w));
}
}  // namespace

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
  const double limit = std::sqrt(6.0 / static_cast<double>(w.size(0) + w.size(1)));
  uniform(w, gen, -limit, limit);
}

void zeros(const Tensor& w) { std::memset(w.raw_data(), 0, static_cast<std::size_t>(w.numel()) * dtype_size(w.dtype())); }
void constant(const Tensor& w, double value) { assign(w, full(w.shape(), value, w.dtype())); }

}  // namespace tg::nn::init
