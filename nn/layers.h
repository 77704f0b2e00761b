// The standard layers. Each is a thin Module around one op in ops/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>

#include "nn/module.h"

namespace tg::nn {

/// y = x·Wᵀ + b, W [out_features, in_features] initialised lecun_normal (Note [The SELU gain
/// trap] in init.h), b zeros. Re-initialise with nn::init for other schemes.
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool bias = true);
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
  Generator gen_;
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
  Generator gen_;
};

/// Batch normalisation over the batch axis of [batch, features], PyTorch conventions:
/// momentum 0.1 means running ← 0.9·running + 0.1·batch statistic.
class BatchNorm1d : public Module {
 public:
  explicit BatchNorm1d(std::int64_t features, double eps = 1e-5, double momentum = 0.1, bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "BatchNorm1d"; }
  std::string extra_repr() const override;

  Tensor weight, bias, running_mean, running_var;

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

/// Runs its children in order.
class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> modules);
  /// Appends a module, named by its position ("0", "1", ...).
  Sequential& add(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Sequential"; }
  std::size_t size() const { return children().size(); }
  Module& operator[](std::size_t i) const { return *children()[i].second; }
};

}  // namespace tg::nn
