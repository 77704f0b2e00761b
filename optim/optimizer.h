// Optimizer: updates a list of parameters in place from their gradients.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace tg::optim {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;

  /// One update from the current gradients; parameters without a gradient are skipped.
  virtual void step() = 0;
  /// Drops every parameter's gradient.
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  const std::vector<Tensor>& params() const { return params_; }

  /// Per-parameter state tensors by name ("momentum_buffer.3"), for checkpoints.
  virtual std::vector<std::pair<std::string, Tensor>> state() const { return {}; }
  /// Restores state written by state(); names that are absent leave that state empty.
  virtual void load_state(const std::vector<std::pair<std::string, Tensor>>& state) {}

 protected:
  std::vector<Tensor> params_;
  double lr_;
};

}  // namespace tg::optim
