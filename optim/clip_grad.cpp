#include "optim/clip_grad.h"

#include <algorithm>
#include <cmath>

namespace tg::optim {
namespace {

struct NormPart {
  double value;        // Σ|g|^p, or max |g| for the inf-norm
  bool finite_inputs;  // no element is inf or NaN (the sum itself may still overflow)
};

template <class T>
NormPart norm_part(const T* g, std::int64_t n, double norm_type) {
  double acc = 0;
  bool finite = true;
  for (std::int64_t i = 0; i < n; ++i) {
    const double a = std::abs(static_cast<double>(g[i]));
    finite = finite && std::isfinite(a);
    if (norm_type == kInfNorm)
      acc = std::isnan(a) || a > acc ? a : acc;  // a NaN must not be skipped by the comparison
    else if (norm_type == 2.0)
      acc += a * a;
    else if (norm_type == 1.0)
      acc += a;
    else
      acc += std::pow(a, norm_type);
  }
  return {acc, finite};
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  check(max_norm >= 0 && !std::isnan(max_norm), "clip_grad_norm: max_norm must be non-negative, got ", max_norm);
  check(norm_type >= 1, "clip_grad_norm: norm_type must be >= 1 (or kInfNorm), got ", norm_type);
  double total = 0;
  std::int64_t first_nonfinite = -1;
  for (std::size_t k = 0; k < params.size(); ++k) {
    check(params[k].defined(), "clip_grad_norm: parameter ", k, " is an undefined tensor");
    const Tensor g = params[k].grad();
    if (!g.defined()) continue;
    const NormPart norm = dispatch(g.dtype(), "clip_grad_norm",
                                   [&]<class T>() { return norm_part(g.data<T>(), g.numel(), norm_type); });
    if (!norm.finite_inputs && first_nonfinite < 0) first_nonfinite = static_cast<std::int64_t>(k);
    const double part = norm.value;
    total = norm_type == kInfNorm ? (std::isnan(part) ? part : std::max(total, part)) : total + part;
  }
  if (norm_type != kInfNorm) total = norm_type == 2.0 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);
  if (!std::isfinite(total)) {
    check(!error_if_nonfinite, "clip_grad_norm: the total ", norm_type, "-norm of the gradients is ", total,
          first_nonfinite >= 0 ? cat(": the gradient of parameter ", first_nonfinite, " holds inf or NaN")
                               : std::string(": the sum overflowed double"));
    return total;
  }
  const double coefficient = max_norm / (total + 1e-6);
  if (coefficient >= 1) return total;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    dispatch(g.dtype(), "clip_grad_norm", [&]<class T>() {
      T* data = g.data<T>();
      for (std::int64_t i = 0; i < g.numel(); ++i) data[i] *= static_cast<T>(coefficient);
    });
  }
  return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
  check(clip_value >= 0 && !std::isnan(clip_value), "clip_grad_value: clip_value must be non-negative, got ",
        clip_value);
  for (std::size_t k = 0; k < params.size(); ++k) {
    check(params[k].defined(), "clip_grad_value: parameter ", k, " is an undefined tensor");
    const Tensor g = params[k].grad();
    if (!g.defined()) continue;
    dispatch(g.dtype(), "clip_grad_value", [&]<class T>() {
      const T high = static_cast<T>(clip_value), low = -high;
      T* data = g.data<T>();
      for (std::int64_t i = 0; i < g.numel(); ++i)
        if (data[i] > high)
          data[i] = high;
        else if (data[i] < low)
          data[i] = low;
    });
  }
}

}  // namespace tg::optim
