#include "nn/weight_norm.h"

#include <cmath>

#include "nn/init.h"
#include "ops/matmul.h"
#include "ops/norm.h"

namespace tg::nn {

WeightNormLinear::WeightNormLinear(std::int64_t in_features, std::int64_t out_features, Generator& gen,
                                   bool with_bias) {
  check(in_features > 0 && out_features > 0, "WeightNormLinear: in_features ", in_features, " and out_features ",
        out_features, " must be positive");
  weight_v = register_parameter("weight_v", empty({out_features, in_features}));
  init::lecun_normal(weight_v, gen);
  weight_g = register_parameter("weight_g", empty({out_features}));
  reset_gain();
  if (with_bias) bias = register_parameter("bias", zeros({out_features}));
}

void WeightNormLinear::reset_gain() {
  const std::int64_t rows = weight_v.size(0), cols = weight_v.size(1);
  dispatch(weight_v.dtype(), "WeightNormLinear::reset_gain", [&]<class T>() {
    const T* v = weight_v.data<T>();
    T* g = weight_g.data<T>();  // written in place: Note [Parameters are handles]
    for (std::int64_t i = 0; i < rows; ++i) {
      double squares = 0;
      for (std::int64_t j = 0; j < cols; ++j) squares += static_cast<double>(v[i * cols + j]) * v[i * cols + j];
      g[i] = static_cast<T>(std::sqrt(squares));
    }
  });
}

Tensor WeightNormLinear::weight() const { return weight_norm(weight_v, weight_g); }
Tensor WeightNormLinear::forward(const Tensor& x) { return linear(x, weight(), bias); }
std::string WeightNormLinear::extra_repr() const {
  return cat("in_features=", weight_v.size(1), ", out_features=", weight_v.size(0), bias.defined() ? "" : ", bias=false");
}

}  // namespace tg::nn
