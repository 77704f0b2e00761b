// Stochastic gradient descent with PyTorch's update semantics.
#pragma once

#include "optim/optimizer.h"

namespace tg::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

/// For each parameter p with gradient g (as torch.optim.SGD):
///   g ← g + weight_decay·p
///   if momentum ≠ 0:  buf ← g on the first step, else momentum·buf + (1 − dampening)·g
///                     g ← g + momentum·buf if nesterov, else buf
///   p ← p − lr·g
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  void step() override;
  const SGDOptions& options() const { return options_; }

  std::vector<std::pair<std::string, Tensor>> state() const override;
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state) override;

 private:
  SGDOptions options_;
  std::vector<Tensor> momentum_buffers_;  // undefined until a parameter's first step
};

}  // namespace tg::optim
