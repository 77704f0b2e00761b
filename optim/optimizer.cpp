#include "optim/optimizer.h"

namespace tg::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
  for (std::size_t i = 0; i < params_.size(); ++i)
    check(params_[i].defined() && params_[i].requires_grad(), "Optimizer: parameter ", i,
          " does not require a gradient");
}

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

}  // namespace tg::optim
