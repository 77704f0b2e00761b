// Residual block for feed-forward nets (He et al. 2016, "Deep residual learning", without convolutions).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"

namespace tg::nn {

/// y = relu(S(x) + F(x)), the original ResNet block (ReLU after the sum), where
///   F = Linear → BatchNorm1d → ReLU → … → Linear → BatchNorm1d   one Linear per entry of `widths`
///       (its output width; the last is the block's width), weights he_normal, no ReLU at the end
///   S(x) = x, or x·Pᵀ (a Linear without bias, lecun_normal) when the block changes the width.
/// batch_norm = false leaves the BatchNorm1d layers out.
class ResidualBlock : public Module {
 public:
  ResidualBlock(std::int64_t in_features, std::vector<std::int64_t> widths, Generator& gen, bool batch_norm = true);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "ResidualBlock"; }
  std::string extra_repr() const override;

  std::shared_ptr<Sequential> residual;  // F
  std::shared_ptr<Linear> shortcut;      // S's projection; null when the width does not change

 private:
  std::int64_t in_features_;
  std::vector<std::int64_t> widths_;
};

}  // namespace tg::nn
