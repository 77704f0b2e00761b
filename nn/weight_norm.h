// WeightNormLinear: a Linear layer whose weight is a direction and a length (Salimans & Kingma 2016).
#pragma once

#include <cstdint>
#include <string>

#include "nn/module.h"

namespace tg::nn {

/// y = x·wᵀ + b with w = g·v/‖v‖ row by row (tg::weight_norm): v [out_features, in_features] and
/// g [out_features] are trained, each output unit's direction and length apart. Data-independent
/// initialisation: v as Linear's weight (lecun_normal), g = ‖v‖, so that w = v at the start; b zeros.
class WeightNormLinear : public Module {
 public:
  WeightNormLinear(std::int64_t in_features, std::int64_t out_features, Generator& gen, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "WeightNormLinear"; }
  std::string extra_repr() const override;

  /// g ← ‖v‖ for every row, so that w = v again: call it after re-initialising v with nn::init.
  void reset_gain();
  /// The effective weight g·v/‖v‖ [out_features, in_features].
  Tensor weight() const;

  Tensor weight_v, weight_g, bias;  // bias is undefined when constructed with bias = false
};

}  // namespace tg::nn
