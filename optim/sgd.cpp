// SGD update kernel: one fused pass over p, g and the momentum buffer per parameter.
#include "optim/sgd.h"

#include <cstring>

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

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr), options_(options), momentum_buffers_(params_.size()) {
  check(options.lr >= 0 && options.momentum >= 0 && options.weight_decay >= 0, "SGD: lr ", options.lr, ", momentum ",
        options.momentum, " and weight_decay ", options.weight_decay, " must be non-negative");
  check(!options.nesterov || (options.momentum > 0 && options.dampening == 0),
        "SGD: nesterov needs momentum > 0 and dampening 0");
}

void SGD::step() {
  for (std::size_t k = 0; k < params_.size(); ++k) {
    const Tensor& p = params_[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const bool first = options_.momentum != 0 && !momentum_buffers_[k].defined();
    if (first) momentum_buffers_[k] = empty_like(p);
    Tensor buf = momentum_buffers_[k];
    dispatch(p.dtype(), "SGD.step", [&]<class T>() {
      T* buf_data = buf.defined() ? buf.data<T>() : nullptr;
      parallel_for(p.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::sgd_update(p.data<T>() + b, g.data<T>() + b, buf_data ? buf_data + b : nullptr, e - b, T(lr_),
                            T(options_.momentum), T(options_.dampening), T(options_.weight_decay), options_.nesterov,
                            first);
      });
    });
  }
}

std::vector<std::pair<std::string, Tensor>> SGD::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (std::size_t k = 0; k < momentum_buffers_.size(); ++k)
    if (momentum_buffers_[k].defined()) out.emplace_back(cat("momentum_buffer.", k), momentum_buffers_[k]);
  return out;
}

void SGD::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  for (Tensor& b : momentum_buffers_) b = Tensor();
  for (const auto& [name, t] : state) {
    const std::string prefix = "momentum_buffer.";
    check(name.rfind(prefix, 0) == 0, "SGD.load_state: unknown state entry '", name, "'");
    const std::size_t k = std::stoul(name.substr(prefix.size()));
    check(k < params_.size() && t.shape() == params_[k].shape() && t.dtype() == params_[k].dtype(),
          "SGD.load_state: '", name, "' is ", describe(t), ", which matches no parameter");
    momentum_buffers_[k] = t.clone().detach();
  }
}

}  // namespace tg::optim
