// RMSprop update kernel: one fused pass over p, g and the running averages per parameter.
#include "optim/rmsprop.h"

#include <cmath>

#include "tensor/parallel.h"

namespace tg::kernels {

template <class T>
struct RMSpropStep {
  T lr, alpha, eps, weight_decay, momentum;
};

// One RMSprop update of n elements (rmsprop.h); grad_avg is null unless centered, buf null
// without momentum.
template <class T>
void rmsprop_update(T* p, const T* g, T* square_avg, T* grad_avg, T* buf, std::int64_t n, const RMSpropStep<T>& c) {
  for (std::int64_t i = 0; i < n; ++i) {
    const T grad = g[i] + c.weight_decay * p[i];
    square_avg[i] = c.alpha * square_avg[i] + (T(1) - c.alpha) * grad * grad;
    T mean_square = square_avg[i];
    if (grad_avg) {
      grad_avg[i] = c.alpha * grad_avg[i] + (T(1) - c.alpha) * grad;
      mean_square -= grad_avg[i] * grad_avg[i];
    }
    const T direction = grad / (std::sqrt(mean_square) + c.eps);
    if (buf) {
      buf[i] = c.momentum * buf[i] + direction;
      p[i] -= c.lr * buf[i];
    } else {
      p[i] -= c.lr * direction;
    }
  }
}

}  // namespace tg::kernels

namespace tg::optim {

template class GroupedOptimizer<RMSpropOptions>;

namespace {
constexpr std::size_t kSquareAvg = 0, kMomentumBuffer = 1, kGradAvg = 2;
}  // namespace

void RMSpropOptions::validate(const std::string& where) const {
  check(std::isfinite(lr) && lr >= 0, where, ": lr must be finite and non-negative, got ", lr);
  check(std::isfinite(alpha) && alpha >= 0, where, ": alpha must be finite and non-negative, got ", alpha);
  check(std::isfinite(eps) && eps >= 0, where, ": eps must be finite and non-negative, got ", eps);
  check(std::isfinite(weight_decay) && weight_decay >= 0, where, ": weight_decay must be finite and non-negative, got ",
        weight_decay);
  check(std::isfinite(momentum) && momentum >= 0, where, ": momentum must be finite and non-negative, got ", momentum);
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : RMSprop(std::vector<Group>{{std::move(params), options}}) {}
RMSprop::RMSprop(std::vector<Group> groups)
    : GroupedOptimizer("RMSprop", std::move(groups), {"square_avg", "momentum_buffer", "grad_avg"}) {}

void RMSprop::update(const RMSpropOptions& o, const Tensor& p, const Tensor& g, ParamState& state) {
  Tensor& square_avg = zeros_slot(state, kSquareAvg, p);
  Tensor* grad_avg = o.centered ? &zeros_slot(state, kGradAvg, p) : nullptr;
  Tensor* buf = o.momentum > 0 ? &zeros_slot(state, kMomentumBuffer, p) : nullptr;
  dispatch(p.dtype(), "RMSprop.step", [&]<class T>() {
    const kernels::RMSpropStep<T> c{T(o.lr), T(o.alpha), T(o.eps), T(o.weight_decay), T(o.momentum)};
    T* grad_avg_data = grad_avg ? grad_avg->data<T>() : nullptr;
    T* buf_data = buf ? buf->data<T>() : nullptr;
    parallel_for(p.numel(), [&](std::int64_t b, std::int64_t e) {
      kernels::rmsprop_update(p.data<T>() + b, g.data<T>() + b, square_avg.data<T>() + b,
                              grad_avg_data ? grad_avg_data + b : nullptr, buf_data ? buf_data + b : nullptr, e - b, c);
    });
  });
}

}  // namespace tg::optim
