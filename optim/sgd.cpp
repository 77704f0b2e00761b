// SGD update kernel: one fused pass over p, g and the momentum buffer per parameter.
#include "optim/sgd.h"

#include <cmath>

#include "tensor/parallel.h"

namespace tg::kernels {

// p ← p − lr·d where d = g + wd·p, or the momentum/Nesterov direction (see sgd.h).
// `first` means the momentum buffer is uninitialised: buf ← d.
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::int64_t n, T lr, T momentum, T dampening, T weight_decay, bool nesterov,
                bool first) {
  for (std::int64_t i = 0; i < n; ++i) {
    T d = g[i] + weight_decay * p[i];
    if (buf) {
      buf[i] = first ? d : momentum * buf[i] + (T(1) - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

}  // namespace tg::kernels

namespace tg::optim {

template class GroupedOptimizer<SGDOptions>;

namespace {
constexpr std::size_t kMomentumBuffer = 0;  // SGD's one state slot
}  // namespace

void SGDOptions::validate(const std::string& where) const {
  check(std::isfinite(lr) && lr >= 0, where, ": lr must be finite and non-negative, got ", lr);
  check(std::isfinite(momentum) && momentum >= 0, where, ": momentum must be finite and non-negative, got ", momentum);
  check(std::isfinite(dampening), where, ": dampening must be finite, got ", dampening);
  check(std::isfinite(weight_decay) && weight_decay >= 0, where, ": weight_decay must be finite and non-negative, got ",
        weight_decay);
  check(!nesterov || (momentum > 0 && dampening == 0), where, ": nesterov needs momentum > 0 and dampening 0, got ",
        "momentum ", momentum, " and dampening ", dampening);
}

SGD::SGD(std::vector<Tensor> params, SGDOptions options) : SGD(std::vector<Group>{{std::move(params), options}}) {}

SGD::SGD(std::vector<Group> groups) : GroupedOptimizer("SGD", std::move(groups), {"momentum_buffer"}) {}

void SGD::update(const SGDOptions& o, const Tensor& p, const Tensor& g, ParamState& state) {
  Tensor& buf = state.slots[kMomentumBuffer];
  const bool first = o.momentum != 0 && !buf.defined();
  if (first) buf = empty_like(p);
  const bool use_buffer = o.momentum != 0;
  dispatch(p.dtype(), "SGD.step", [&]<class T>() {
    T* buf_data = use_buffer ? buf.data<T>() : nullptr;
    parallel_for(p.numel(), [&](std::int64_t b, std::int64_t e) {
      kernels::sgd_update(p.data<T>() + b, g.data<T>() + b, buf_data ? buf_data + b : nullptr, e - b, T(o.lr),
                          T(o.momentum), T(o.dampening), T(o.weight_decay), o.nesterov, first);
    });
  });
}

}  // namespace tg::optim
