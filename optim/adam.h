// Adam and AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019) with PyTorch's semantics and defaults.
#pragma once

#include <string>
#include <utility>

#include "optim/optimizer.h"

namespace tg::optim {

/// Adam's (kDecoupled false) and AdamW's options; they differ only in weight_decay's default (0
/// and 0.01, as in torch.optim).
template <bool kDecoupled>
struct AdamFamilyOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = kDecoupled ? 0.01 : 0.0;
  bool amsgrad = false;

  /// tg::Error, starting with `where`, unless every option is in range (as torch.optim checks).
  void validate(const std::string& where) const;
  /// f(name, field) for every option (Note [Optimizer state]).
  template <class F>
  void visit(F&& f) {
    f("lr", lr);
    f("beta1", betas.first);
    f("beta2", betas.second);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("amsgrad", amsgrad);
  }
};
using AdamOptions = AdamFamilyOptions<false>;
using AdamWOptions = AdamFamilyOptions<true>;
/// The defaults, as torch.optim has them. Defining them here also instantiates the options'
/// member initialisers before any constructor call needs them: without that, g++ 12 crashes (an
/// internal compiler error in nothrow_spec_p) on `Adam opt({{.params = ..., .options = {...}}})`.
inline constexpr AdamOptions kAdamDefaults{};
inline constexpr AdamWOptions kAdamWDefaults{};

/// For each parameter p with gradient g, at its t-th update (as torch.optim.Adam and AdamW):
///   g ← g + weight_decay·p                            (Adam: L2 penalty in the gradient)
///   p ← p·(1 − lr·weight_decay)                       (AdamW instead: decoupled decay)
///   m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²   (m, v start at 0)
///   v̂ ← max(v̂, v) with amsgrad (v̂ starts at 0), else v̂ = v
///   p ← p − (lr / (1 − β₁ᵗ))·m / (√v̂ / √(1 − β₂ᵗ) + eps)
/// State (Note [Optimizer state]): "step.<k>", "exp_avg.<k>" (m), "exp_avg_sq.<k>" (v) and,
/// with amsgrad, "max_exp_avg_sq.<k>" (v̂). Use it as optim::Adam or optim::AdamW.
template <bool kDecoupled>
class AdamFamily : public GroupedOptimizer<AdamFamilyOptions<kDecoupled>> {
 public:
  using Options = AdamFamilyOptions<kDecoupled>;
  using Group = typename GroupedOptimizer<Options>::Group;
  AdamFamily(std::vector<Tensor> params, Options options = {});
  /// Parameter groups with options of their own (Note [Parameter groups]).
  explicit AdamFamily(std::vector<Group> groups);

  /// β₁, which OneCycleLR cycles.
  std::optional<double> momentum(std::size_t group) const override { return this->options(group).betas.first; }
  void set_momentum(std::size_t group, double beta1) override { this->options(group).betas.first = beta1; }

 private:
  using ParamState = typename GroupedOptimizer<Options>::ParamState;
  void update(const Options& options, const Tensor& p, const Tensor& g, ParamState& state) override;
};

extern template class GroupedOptimizer<AdamOptions>;
extern template class GroupedOptimizer<AdamWOptions>;
extern template class AdamFamily<false>;
extern template class AdamFamily<true>;

/// torch.optim.Adam: see AdamFamily.
class Adam : public AdamFamily<false> {
 public:
  using AdamFamily::AdamFamily;
};
/// Adam with decoupled weight decay (torch.optim.AdamW).
class AdamW : public AdamFamily<true> {
 public:
  using AdamFamily::AdamFamily;
};

}  // namespace tg::optim
