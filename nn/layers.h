// The standard layers. Each is a thin Module around one op in ops/.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <type_traits>

#include "nn/module.h"

namespace tg::nn {

/// y = x·Wᵀ + b, W [out_features, in_features] initialised lecun_normal (Note [The SELU gain
/// trap] in init.h), b zeros, both of `dtype` (float32 or float64). Re-initialise with nn::init
/// for other schemes, e.g. through Module::apply.
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool bias = true,
         DType dtype = DType::float32);
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, DType dtype)
      : Linear(in_features, out_features, gen, true, dtype) {}
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Linear"; }
  std::string extra_repr() const override;

  Tensor weight, bias;  // bias is undefined when constructed with bias = false
};

class SELU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "SELU"; }
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "ReLU"; }
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "ELU"; }
  std::string extra_repr() const override;

 private:
  double alpha_;
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Tanh"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Sigmoid"; }
};

/// Standard dropout with drop probability p; identity in eval mode.
class Dropout : public Module {
 public:
  Dropout(double p, std::uint64_t seed);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Dropout"; }
  std::string extra_repr() const override;

 private:
  double p_;
  Generator* gen_;  // owned by Module (Note [Moving modules])
};

/// Alpha-dropout for SELU networks (keeps mean 0 / variance 1); identity in eval mode.
class AlphaDropout : public Module {
 public:
  AlphaDropout(double rate, std::uint64_t seed);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "AlphaDropout"; }
  std::string extra_repr() const override;

 private:
  double rate_;
  Generator* gen_;  // owned by Module (Note [Moving modules])
};

/// Batch normalisation over the batch axis of [batch, features], PyTorch conventions:
/// momentum 0.1 means running ← 0.9·running + 0.1·batch statistic. Buffers as PyTorch's, so state
/// dicts match: running_mean, running_var, and num_batches_tracked (int64 0-dim, the number of
/// training-mode forward calls; kept for PyTorch's state_dict, the statistics do not use it).
class BatchNorm1d : public Module {
 public:
  explicit BatchNorm1d(std::int64_t features, double eps = 1e-5, double momentum = 0.1, bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "BatchNorm1d"; }
  std::string extra_repr() const override;

  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  std::int64_t features_;
  double eps_, momentum_;
};

/// Layer normalisation over the last axis.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(std::int64_t features, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "LayerNorm"; }
  std::string extra_repr() const override;

  Tensor weight, bias;

 private:
  std::int64_t features_;
  double eps_;
};

/// A module given to Sequential: a module moved in by value, or a shared_ptr to one.
template <class M>
concept ModuleArgument = (std::derived_from<std::remove_cvref_t<M>, Module> && !std::is_lvalue_reference_v<M>) ||
                         std::convertible_to<M, std::shared_ptr<Module>>;

/// Runs its children in order. Children are named by position ("0", "1", ...), as in PyTorch's
/// nn.Sequential, so state dicts match. Layers may be given by value (Note [Moving modules]):
///   nn::Sequential model{nn::Linear(2, 64, gen), nn::SELU(), nn::Linear(64, 2, gen)};
/// or as shared_ptrs, to keep a handle on a layer: model.add(linear_ptr). Use braces, not
/// parentheses: C++ evaluates braced arguments left to right but parenthesised ones in an
/// unspecified order (g++ goes right to left), and layers drawing from one generator would get
/// different weights on different compilers. Chained add(...).add(...) calls are in order too.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  template <ModuleArgument... M>
    requires(sizeof...(M) > 0)
  explicit Sequential(M&&... modules) {
    (add(std::forward<M>(modules)), ...);
  }
  /// Appends a module, named by its position ("0", "1", ...).
  Sequential& add(std::shared_ptr<Module> module);
  /// Appends a module moved in by value: `model.add(nn::Linear(64, 10, gen))`.
  template <class M>
    requires std::derived_from<M, Module>
  Sequential& add(M&& module) {
    return add(std::make_shared<M>(std::move(module)));
  }
  /// The same as add, under libtorch's name.
  template <ModuleArgument M>
  Sequential& push_back(M&& module) {
    return add(std::forward<M>(module));
  }
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Sequential"; }
  std::size_t size() const { return children().size(); }
  Module& operator[](std::size_t i) const { return *children()[i].second; }
};

}  // namespace tg::nn
