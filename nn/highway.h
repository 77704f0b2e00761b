// Highway layer (Srivastava, Greff & Schmidhuber 2015): a gate mixes a transform with the input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "nn/layers.h"

namespace tg::nn {

/// The gate's initial bias. Srivastava et al. used −1 to −3, more negative for deeper nets; −2 is
/// the middle: each gate starts at sigmoid(−2) ≈ 0.12, so a layer mostly carries its input at first
/// and a deep stack starts close to the identity.
inline constexpr double kHighwayGateBias = -2.0;

/// y = H(x)·T(x) + C(x)·(1 − T(x)), computed as C + T·(H − C), where
///   H(x) = relu(x·W_Hᵀ + b_H)     transform, W_H he_normal
///   T(x) = sigmoid(x·W_Tᵀ + b_T)  gate, W_T lecun_normal, b_T = gate_bias
///   C(x) = x, or x·Pᵀ (a Linear without bias, lecun_normal) when out_features ≠ in_features.
class Highway : public Module {
 public:
  Highway(std::int64_t in_features, std::int64_t out_features, Generator& gen, double gate_bias = kHighwayGateBias);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "Highway"; }
  std::string extra_repr() const override;

  std::shared_ptr<Linear> transform, gate;
  std::shared_ptr<Linear> carry;  // the projection; null when the width does not change

 private:
  double gate_bias_;
};

}  // namespace tg::nn
