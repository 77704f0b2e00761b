#include "nn/highway.h"

#include "nn/init.h"
#include "ops/elementwise.h"

namespace tg::nn {

Highway::Highway(std::int64_t in_features, std::int64_t out_features, Generator& gen, double gate_bias)
    : gate_bias_(gate_bias) {
  check(in_features > 0 && out_features > 0, "Highway: in_features ", in_features, " and out_features ", out_features,
        " must be positive");
  transform = register_module("transform", std::make_shared<Linear>(in_features, out_features, gen));
  init::he_normal(transform->weight, gen);
  gate = register_module("gate", std::make_shared<Linear>(in_features, out_features, gen));
  init::constant(gate->bias, gate_bias);
  if (in_features != out_features)
    carry = register_module("carry", std::make_shared<Linear>(in_features, out_features, gen, /*bias=*/false));
}

Tensor Highway::forward(const Tensor& x) {
  const std::int64_t in_features = transform->weight.size(1);
  check(x.dim() == 2 && x.size(1) == in_features, "Highway: x is ", x.shape(), ": expected [batch, ", in_features,
        "]");
  const Tensor h = relu((*transform)(x));
  const Tensor t = sigmoid((*gate)(x));
  const Tensor c = carry ? (*carry)(x) : x;
  return c + t * (h - c);
}

std::string Highway::extra_repr() const {
  return cat("in_features=", transform->weight.size(1), ", out_features=", transform->weight.size(0),
             ", gate_bias=", gate_bias_);
}

}  // namespace tg::nn
