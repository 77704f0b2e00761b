// The seven feed-forward architectures of the SNN paper's UCI comparison (Klambauer et al. 2017,
// Table 1), each built from a small spec that names itself: "snn-l8-u512-rect-d0.05".
//
//   snn        Linear (lecun_normal) → SELU, alpha-dropout after each hidden layer
//   msra       Linear (he_normal) → ReLU, no normalisation ("MSRAinit")
//   batchnorm  Linear (he_normal) → BatchNorm1d → ReLU
//   layernorm  Linear (he_normal) → LayerNorm → ReLU
//   weightnorm WeightNormLinear (v he_normal, g = ‖v‖) → ReLU
//   highway    Highway layers (nn/highway.h); a projected carry where the width changes
//   resnet     ResidualBlocks (nn/residual.h) of block_layers Linear → BatchNorm1d layers
//
// Every method but snn puts standard dropout after each hidden layer (or block) when dropout > 0.
// The output layer is a plain Linear (lecun_normal, zero bias) giving logits in every method, so the
// methods differ in their hidden layers only.
//
// Widths. rectangular: every hidden layer (block) has `units`. conic: they shrink geometrically
// from `units` towards the number of classes, w_i = round(units·(classes/units)^(i/layers)) for
// i = 0 … layers−1 (at least `classes`), so the output layer is the next step of the cone.
// A resnet block of width w is rectangular (every layer w) or "diavolo": a bottleneck whose layers
// but the last have ceil(w/2) units, the last w.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/layers.h"

namespace tg::nn {

enum class Method { snn, msra, batchnorm, layernorm, weightnorm, highway, resnet };
enum class WidthShape { rectangular, conic };
enum class BlockShape { rectangular, diavolo };

/// "snn", "msra", "batchnorm", "layernorm", "weightnorm", "highway", "resnet".
std::string_view method_name(Method method);
/// The Method called `name`; throws listing the names.
Method parse_method(std::string_view name);
/// All seven, in the order above.
const std::vector<Method>& all_methods();

struct ModelSpec {
  Method method = Method::snn;
  int layers = 2;            ///< hidden layers; highway layers for highway, residual blocks for resnet
  std::int64_t units = 256;  ///< width of the first hidden layer
  WidthShape shape = WidthShape::rectangular;
  double dropout = 0;        ///< rate after each hidden layer: alpha-dropout for snn, dropout otherwise
  int block_layers = 2;      ///< resnet: Linear layers per residual block (2 or 3 in the paper)
  BlockShape block = BlockShape::rectangular;  ///< resnet

  /// "<method>-l<layers>-u<units>-<rect|conic>[-b<block_layers><rect|diavolo>]-d<dropout>", the
  /// block part for resnet only: "snn-l8-u512-rect-d0.05", "resnet-l4-u256-conic-b3diavolo-d0".
  /// The dropout is printed in the shortest form that reads back to the same double.
  std::string str() const;
  /// The spec str() printed; throws "ModelSpec::parse: '<text>': <problem>" for anything else.
  static ModelSpec parse(std::string_view text);
  /// Throws "<op>: <spec>: <problem>" for out-of-range fields (layers, units ≥ 1, dropout in
  /// [0, 1), block_layers ≥ 2).
  void validate(std::string_view op) const;

  bool operator==(const ModelSpec&) const = default;
};

/// The width of each hidden layer (or block), for a task with `classes` outputs.
std::vector<std::int64_t> hidden_widths(const ModelSpec& spec, std::int64_t classes);
/// The Linear widths inside one resnet block of width `width`.
std::vector<std::int64_t> block_widths(const ModelSpec& spec, std::int64_t width);

/// The network [batch, in_features] → logits [batch, classes]. Weights come from Generator(seed)
/// in layer order; each dropout layer gets its own seed derived from `seed` and its position.
std::shared_ptr<Sequential> build_model(const ModelSpec& spec, std::int64_t in_features, std::int64_t classes,
                                        std::uint64_t seed);

}  // namespace tg::nn
