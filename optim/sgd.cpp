// SGD update kernel: one fused pass over p, g and the momentum buffer per parameter — read p, g
// and buf once, write p and buf once (the update is memory-bound: three streams in, two out).
// Compiled per instruction set (tensor/simd.h), with the same formula for every lane and the tail.
#include "optim/sgd.h"

#include <cmath>

#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg::kernels {

/// SGD's hyperparameters in T, for the kernel.
template <class T>
struct SgdStep {
  T lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first;  ///< the momentum buffer is uninitialised: buf ← d
};

/// p ← p − lr·d with d = g + wd·p — or, with momentum, buf ← m·buf + (1 − dampening)·d and
/// d ← buf (or d + m·buf for Nesterov), as in PyTorch (see sgd.h). buf is null without momentum.
template <class Arch, class T>
void sgd_update(const SgdStep<T>& s, T* p, const T* g, T* buf, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B lr(s.lr), m(s.momentum), keep(T(1) - s.dampening), wd(s.weight_decay);
  if (!buf) {
    simd::map<Arch>(n, [&](const B& pv, const B& gv) { return pv - lr * (gv + wd * pv); }, p, p, g);
    return;
  }
  simd::map2<Arch>(n, [&](const B& pv, const B& gv, const B& bv) {
    const B d = gv + wd * pv;
    const B next = s.first ? d : m * bv + keep * d;
    const B step = s.nesterov ? d + m * next : next;
    return std::pair{pv - lr * step, next};
  }, p, buf, p, g, buf);
}
TG_KERNEL(sgd_update)

}  // namespace tg::kernels

#if TG_OP_PASS
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
    const kernels::SgdStep<T> s{T(o.lr), T(o.momentum), T(o.dampening), T(o.weight_decay), o.nesterov, first};
    T* buf_data = use_buffer ? buf.data<T>() : nullptr;
    simd::with_isa([&]<class Arch>() {
      parallel_for(p.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::sgd_update<Arch>(s, p.data<T>() + b, g.data<T>() + b, buf_data ? buf_data + b : nullptr, e - b);
      }, 2);
    });
  });
}

}  // namespace tg::optim
#endif
