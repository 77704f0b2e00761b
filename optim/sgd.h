// Stochastic gradient descent with PyTorch's update semantics.
#pragma once

#include <string>

#include "optim/optimizer.h"

namespace tg::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;

  /// tg::Error, starting with `where`, unless every option is in range (as torch.optim.SGD checks).
  void validate(const std::string& where) const;
  /// f(name, field) for every option: what a checkpoint saves per group (Note [Optimizer state]).
  template <class F>
  void visit(F&& f) {
    f("lr", lr);
    f("momentum", momentum);
    f("dampening", dampening);
    f("weight_decay", weight_decay);
    f("nesterov", nesterov);
  }
};

/// For each parameter p with gradient g (as torch.optim.SGD):
///   g ← g + weight_decay·p
///   if momentum ≠ 0:  buf ← g on the first step, else momentum·buf + (1 − dampening)·g
///                     g ← g + momentum·buf if nesterov, else buf
///   p ← p − lr·g
/// State: "momentum_buffer.<k>" once momentum ≠ 0 (Note [Optimizer state]).
class SGD : public GroupedOptimizer<SGDOptions> {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  /// Parameter groups with options of their own (Note [Parameter groups]).
  explicit SGD(std::vector<Group> groups);

  std::optional<double> momentum(std::size_t group) const override { return options(group).momentum; }
  void set_momentum(std::size_t group, double momentum) override { options(group).momentum = momentum; }

 private:
  void update(const SGDOptions& options, const Tensor& p, const Tensor& g, ParamState& state) override;
};

extern template class GroupedOptimizer<SGDOptions>;

}  // namespace tg::optim
