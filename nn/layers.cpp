#include "nn/layers.h"

#include "nn/init.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/norm.h"

namespace tg::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool with_bias, DType dtype) {
  check(in_features > 0, "Linear: in_features must be positive, got ", in_features);
  check(out_features > 0, "Linear: out_features must be positive, got ", out_features);
  check(dtype != DType::int64, "Linear: dtype must be float32 or float64, got int64");
  weight = register_parameter("weight", empty({out_features, in_features}, dtype));
  init::lecun_normal(weight, gen);
  if (with_bias) bias = register_parameter("bias", zeros({out_features}, dtype));
}
Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }
std::string Linear::extra_repr() const {
  return cat("in_features=", weight.size(1), ", out_features=", weight.size(0), bias.defined() ? "" : ", bias=false");
}

Tensor SELU::forward(const Tensor& x) { return selu(x); }
Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor ELU::forward(const Tensor& x) { return elu(x, alpha_); }
std::string ELU::extra_repr() const { return cat("alpha=", alpha_); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }

Dropout::Dropout(double p, std::uint64_t seed) : p_(p) {
  check(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got ", p);
  gen_ = &register_generator("generator", seed);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, is_training(), *gen_); }
std::string Dropout::extra_repr() const { return cat("p=", p_); }

AlphaDropout::AlphaDropout(double rate, std::uint64_t seed) : rate_(rate) {
  check(rate >= 0 && rate < 1, "AlphaDropout: rate must be in [0, 1), got ", rate);
  gen_ = &register_generator("generator", seed);
}
Tensor AlphaDropout::forward(const Tensor& x) { return alpha_dropout(x, rate_, is_training(), *gen_); }
std::string AlphaDropout::extra_repr() const { return cat("rate=", rate_); }

namespace {
// The constructor checks BatchNorm1d and LayerNorm share, one argument per message.
void check_norm_arguments(const char* layer, std::int64_t features, double eps) {
  check(features > 0, layer, ": features must be positive, got ", features);
  check(eps > 0, layer, ": eps must be positive (it keeps 1/sqrt(var + eps) finite), got ", eps);
}
}  // namespace

BatchNorm1d::BatchNorm1d(std::int64_t features, double eps, double momentum, bool affine)
    : features_(features), eps_(eps), momentum_(momentum) {
  check_norm_arguments("BatchNorm1d", features, eps);
  check(momentum >= 0 && momentum <= 1, "BatchNorm1d: momentum must be in [0, 1] (the weight of the batch statistic ",
        "in the running average), got ", momentum);
  if (affine) {
    weight = register_parameter("weight", ones({features}));
    bias = register_parameter("bias", zeros({features}));
  }
  running_mean = register_buffer("running_mean", zeros({features}));
  running_var = register_buffer("running_var", ones({features}));
  num_batches_tracked = register_buffer("num_batches_tracked", zeros(Shape{}, DType::int64));
}
Tensor BatchNorm1d::forward(const Tensor& x) {
  Tensor y = batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum_, eps_);
  if (is_training()) ++*num_batches_tracked.data<std::int64_t>();
  return y;
}
std::string BatchNorm1d::extra_repr() const {
  return cat(features_, ", eps=", eps_, ", momentum=", momentum_, weight.defined() ? "" : ", affine=false");
}

LayerNorm::LayerNorm(std::int64_t features, double eps, bool affine) : features_(features), eps_(eps) {
  check_norm_arguments("LayerNorm", features, eps);
  if (affine) {
    weight = register_parameter("weight", ones({features}));
    bias = register_parameter("bias", zeros({features}));
  }
}
Tensor LayerNorm::forward(const Tensor& x) { return layer_norm(x, weight, bias, eps_); }
std::string LayerNorm::extra_repr() const { return cat(features_, ", eps=", eps_); }

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> modules) {
  for (const auto& m : modules) add(m);
}
Sequential& Sequential::add(std::shared_ptr<Module> module) {
  check(module != nullptr, "Sequential.add: null module");
  register_module(std::to_string(children().size()), std::move(module));
  return *this;
}
// Note [Fused Linear→activation in Sequential]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Every hidden layer of an SNN is Linear then SELU (ReLU for the MSRA, BatchNorm and other nets).
// When neither module has hooks, Sequential runs the pair as one op, linear(x, w, b, activation),
// whose GEMM applies the activation in its write-back: the layer's output is written once instead
// of written, read and written again. It is the same GEMM and the same activation formula
// (ops/activations.h), so the bits are those of the two modules run one after the other, forward
// and backward (tests/ops/test_linear_activation.cpp, tests/nn/test_module.cpp). A hook on either
// module — the MomentTracer's, say — needs the pre-activation as a tensor of its own, so then the
// two run separately.
namespace {
Activation fusable_activation(const Module& linear, const Module& next) {
  if (linear.has_hooks() || next.has_hooks() || !dynamic_cast<const Linear*>(&linear)) return Activation::none;
  if (dynamic_cast<const SELU*>(&next)) return Activation::selu;
  if (dynamic_cast<const ReLU*>(&next)) return Activation::relu;
  return Activation::none;
}
}  // namespace

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  const auto& modules = children();
  for (std::size_t i = 0; i < modules.size(); ++i) {
    Module& m = *modules[i].second;
    if (i + 1 < modules.size()) {
      if (const Activation a = fusable_activation(m, *modules[i + 1].second); a != Activation::none) {
        const auto& layer = static_cast<const Linear&>(m);
        h = linear(h, layer.weight, layer.bias, a);
        ++i;
        continue;
      }
    }
    h = m(h);
  }
  return h;
}

}  // namespace tg::nn
