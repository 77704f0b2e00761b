// RMSprop (Hinton's lecture 6e; Graves 2013 for the centered form) with PyTorch's semantics and defaults.
#pragma once

#include <string>

#include "optim/optimizer.h"

namespace tg::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;  ///< smoothing constant of the squared-gradient average
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;

  /// tg::Error, starting with `where`, unless every option is in range (as torch.optim.RMSprop checks).
  void validate(const std::string& where) const;
  /// f(name, field) for every option (Note [Optimizer state]).
  template <class F>
  void visit(F&& f) {
    f("lr", lr);
    f("alpha", alpha);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("momentum", momentum);
    f("centered", centered);
  }
};

/// For each parameter p with gradient g (as torch.optim.RMSprop):
///   g ← g + weight_decay·p
///   s ← α·s + (1 − α)·g²                       (s starts at 0)
///   centered: ḡ ← α·ḡ + (1 − α)·g (ḡ starts at 0), d = √(s − ḡ²) + eps;  else d = √s + eps
///   momentum > 0: buf ← momentum·buf + g/d (buf starts at 0), p ← p − lr·buf
///   otherwise:    p ← p − lr·g/d
/// State (Note [Optimizer state]): "step.<k>", "square_avg.<k>" (s), "momentum_buffer.<k>" with
/// momentum, "grad_avg.<k>" (ḡ) when centered.
class RMSprop : public GroupedOptimizer<RMSpropOptions> {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  /// Parameter groups with options of their own (Note [Parameter groups]).
  explicit RMSprop(std::vector<Group> groups);

  std::optional<double> momentum(std::size_t group) const override { return options(group).momentum; }
  void set_momentum(std::size_t group, double momentum) override { options(group).momentum = momentum; }

 private:
  void update(const RMSpropOptions& options, const Tensor& p, const Tensor& g, ParamState& state) override;
};

extern template class GroupedOptimizer<RMSpropOptions>;

}  // namespace tg::optim
