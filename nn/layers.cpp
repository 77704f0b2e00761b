#include "nn/layers.h"

#include "nn/init.h"
#include "ops/dropout.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/norm.h"

namespace tg::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool with_bias) {
  check(in_features > 0 && out_features > 0, "Linear: in_features ", in_features, " and out_features ", out_features,
        " must be positive");
  weight = register_parameter("weight", empty({out_features, in_features}));
  init::lecun_normal(weight, gen);
  if (with_bias) bias = register_parameter("bias", zeros({out_features}));
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

Dropout::Dropout(double p, std::uint64_t seed) : p_(p), gen_(seed) {
  check(p >= 0 && p < 1, "Dropout: p ", p, " is outside [0, 1)");
  register_generator("generator", &gen_);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p_, is_training(), gen_); }
std::string Dropout::extra_repr() const { return cat("p=", p_); }

AlphaDropout::AlphaDropout(double rate, std::uint64_t seed) : rate_(rate), gen_(seed) {
  check(rate >= 0 && rate < 1, "AlphaDropout: rate ", rate, " is outside [0, 1)");
  register_generator("generator", &gen_);
}
Tensor AlphaDropout::forward(const Tensor& x) { return alpha_dropout(x, rate_, is_training(), gen_); }
std::string AlphaDropout::extra_repr() const { return cat("rate=", rate_); }

BatchNorm1d::BatchNorm1d(std::int64_t features, double eps, double momentum, bool affine)
    : features_(features), eps_(eps), momentum_(momentum) {
  check(features > 0 && eps > 0 && momentum >= 0 && momentum <= 1, "BatchNorm1d: bad arguments features=", features,
        " eps=", eps, " momentum=", momentum);
  if (affine) {
    weight = register_parameter("weight", ones({features}));
    bias = register_parameter("bias", zeros({features}));
  }
  running_mean = register_buffer("running_mean", zeros({features}));
  running_var = register_buffer("running_var", ones({features}));
}
Tensor BatchNorm1d::forward(const Tensor& x) {
  return batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum_, eps_);
}
std::string BatchNorm1d::extra_repr() const {
  return cat(features_, ", eps=", eps_, ", momentum=", momentum_, weight.defined() ? "" : ", affine=false");
}

LayerNorm::LayerNorm(std::int64_t features, double eps, bool affine) : features_(features), eps_(eps) {
  check(features > 0 && eps > 0, "LayerNorm: bad arguments features=", features, " eps=", eps);
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
Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (const auto& [name, child] : children()) h = (*child)(h);
  return h;
}

}  // namespace tg::nn
