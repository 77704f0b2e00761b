// Adam/AdamW update kernel: one fused pass over p, g, m, v (and v̂) per parameter.
#include "optim/adam.h"

#include <algorithm>
#include <cmath>

#include "tensor/parallel.h"

namespace tg::kernels {

// The per-update constants of adam_update, in the parameter's type.
template <class T>
struct AdamStep {
  T beta1, beta2, eps, weight_decay;
  T decay;            // 1 − lr·weight_decay, AdamW's factor on p (1 for Adam)
  T step_size;        // lr / (1 − β₁ᵗ)
  T bias_correction2_sqrt;  // √(1 − β₂ᵗ)
};

// One Adam update of n elements (adam.h); max_v is null without amsgrad. Adam's weight decay is
// passed as c.weight_decay, AdamW's as c.decay (the other one neutral).
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, T* max_v, std::int64_t n, const AdamStep<T>& c) {
  for (std::int64_t i = 0; i < n; ++i) {
    p[i] *= c.decay;
    const T grad = g[i] + c.weight_decay * p[i];
    m[i] = c.beta1 * m[i] + (T(1) - c.beta1) * grad;
    v[i] = c.beta2 * v[i] + (T(1) - c.beta2) * grad * grad;
    T second = v[i];
    if (max_v) second = max_v[i] = std::max(max_v[i], v[i]);
    p[i] -= c.step_size * m[i] / (std::sqrt(second) / c.bias_correction2_sqrt + c.eps);
  }
}

}  // namespace tg::kernels

namespace tg::optim {

template class GroupedOptimizer<AdamOptions>;
template class GroupedOptimizer<AdamWOptions>;

namespace {
constexpr std::size_t kExpAvg = 0, kExpAvgSq = 1, kMaxExpAvgSq = 2;
}  // namespace

template <bool kDecoupled>
void AdamFamilyOptions<kDecoupled>::validate(const std::string& where) const {
  check(std::isfinite(lr) && lr >= 0, where, ": lr must be finite and non-negative, got ", lr);
  check(betas.first >= 0 && betas.first < 1, where, ": betas.first (beta1) must be in [0, 1), got ", betas.first);
  check(betas.second >= 0 && betas.second < 1, where, ": betas.second (beta2) must be in [0, 1), got ", betas.second);
  check(std::isfinite(eps) && eps >= 0, where, ": eps must be finite and non-negative, got ", eps);
  check(std::isfinite(weight_decay) && weight_decay >= 0, where, ": weight_decay must be finite and non-negative, got ",
        weight_decay);
}
template struct AdamFamilyOptions<false>;
template struct AdamFamilyOptions<true>;

template <bool kDecoupled>
AdamFamily<kDecoupled>::AdamFamily(std::vector<Tensor> params, Options options)
    : AdamFamily(std::vector<Group>{{std::move(params), options}}) {}

template <bool kDecoupled>
AdamFamily<kDecoupled>::AdamFamily(std::vector<Group> groups)
    : GroupedOptimizer<AdamFamilyOptions<kDecoupled>>(kDecoupled ? "AdamW" : "Adam", std::move(groups),
                                {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {}

template <bool kDecoupled>
void AdamFamily<kDecoupled>::update(const Options& o, const Tensor& p, const Tensor& g, ParamState& state) {
  Tensor &m = this->zeros_slot(state, kExpAvg, p), &v = this->zeros_slot(state, kExpAvgSq, p);
  Tensor* max_v = o.amsgrad ? &this->zeros_slot(state, kMaxExpAvgSq, p) : nullptr;
  const auto t = static_cast<double>(state.step);
  const double bias_correction1 = 1 - std::pow(o.betas.first, t), bias_correction2 = 1 - std::pow(o.betas.second, t);
  dispatch(p.dtype(), kDecoupled ? "AdamW.step" : "Adam.step", [&]<class T>() {
    const kernels::AdamStep<T> c{.beta1 = T(o.betas.first),
                                 .beta2 = T(o.betas.second),
                                 .eps = T(o.eps),
                                 .weight_decay = T(kDecoupled ? 0.0 : o.weight_decay),
                                 .decay = T(kDecoupled ? 1 - o.lr * o.weight_decay : 1.0),
                                 .step_size = T(o.lr / bias_correction1),
                                 .bias_correction2_sqrt = T(std::sqrt(bias_correction2))};
    T* max_v_data = max_v ? max_v->data<T>() : nullptr;
    parallel_for(p.numel(), [&](std::int64_t b, std::int64_t e) {
      kernels::adam_update(p.data<T>() + b, g.data<T>() + b, m.data<T>() + b, v.data<T>() + b,
                           max_v_data ? max_v_data + b : nullptr, e - b, c);
    });
  });
}

template class AdamFamily<false>;
template class AdamFamily<true>;

}  // namespace tg::optim
