#include "nn/residual.h"

#include <algorithm>

#include "nn/init.h"
#include "ops/elementwise.h"

namespace tg::nn {
namespace {

std::string list(const std::vector<std::int64_t>& widths) {
  std::string out;
  for (std::int64_t w : widths) out += (out.empty() ? "" : ", ") + std::to_string(w);
  return "[" + out + "]";
}

}  // namespace

ResidualBlock::ResidualBlock(std::int64_t in_features, std::vector<std::int64_t> widths, Generator& gen,
                             bool batch_norm)
    : in_features_(in_features), widths_(std::move(widths)) {
  check(in_features > 0 && !widths_.empty() &&
            std::all_of(widths_.begin(), widths_.end(), [](std::int64_t w) { return w > 0; }),
        "ResidualBlock: in_features ", in_features, " and widths ", list(widths_),
        ": expected a positive input width and at least one positive layer width");
  residual = register_module("residual", std::make_shared<Sequential>());
  std::int64_t width = in_features;
  for (std::size_t j = 0; j < widths_.size(); ++j) {
    auto layer = std::make_shared<Linear>(width, widths_[j], gen);
    init::he_normal(layer->weight, gen);
    residual->add(layer);
    if (batch_norm) residual->add(std::make_shared<BatchNorm1d>(widths_[j]));
    if (j + 1 < widths_.size()) residual->add(std::make_shared<ReLU>());
    width = widths_[j];
  }
  if (width != in_features)
    shortcut = register_module("shortcut", std::make_shared<Linear>(in_features, width, gen, /*bias=*/false));
}

Tensor ResidualBlock::forward(const Tensor& x) {
  check(x.dim() == 2 && x.size(1) == in_features_, "ResidualBlock: x is ", x.shape(), ": expected [batch, ",
        in_features_, "]");
  return relu((shortcut ? (*shortcut)(x) : x) + (*residual)(x));
}

std::string ResidualBlock::extra_repr() const {
  return cat("in_features=", in_features_, ", widths=", list(widths_));
}

}  // namespace tg::nn
