// Helpers the optimizer tests share: parameters with hand-set gradients, and the quadratic
// trajectory that tests/optim/pytorch_reference.py runs in PyTorch.
#pragma once

#include <functional>
#include <vector>

#include "optim/optimizer.h"
#include "support.h"

namespace tg::test {

/// A float64 parameter (requires_grad) holding `values`.
inline Tensor param(const std::vector<double>& values, DType dtype = DType::float64) {
  Tensor p = tensor(values, {static_cast<std::int64_t>(values.size())}, dtype);
  p.requires_grad(true);
  return p;
}

/// Sets p's gradient to `values`, as backward would leave it.
inline void set_grad(const Tensor& p, const std::vector<double>& values) {
  p.impl()->grad = tensor(values, p.shape(), p.dtype()).impl_ptr();
}

/// g = 2p + 1, the gradient of Σp² + Σp, at p.
inline std::vector<double> quadratic_grad(const std::vector<double>& p) {
  std::vector<double> g;
  for (double v : p) g.push_back(2 * v + 1);
  return g;
}

/// `steps` updates of `opt` on its parameter p with g = 2p + 1: p after each step, concatenated
/// (the layout of pytorch_reference.py's output).
inline std::vector<double> quadratic_trajectory(optim::Optimizer& opt, const Tensor& p, int steps) {
  std::vector<double> out;
  for (int t = 0; t < steps; ++t) {
    set_grad(p, quadratic_grad(p.to_vector()));
    opt.step();
    for (double v : p.to_vector()) out.push_back(v);
  }
  return out;
}

/// One step of a double-precision reference optimizer: updates p from the gradient g.
using ReferenceStep = std::function<void(std::vector<double>& p, const std::vector<double>& g)>;

/// The reference's quadratic trajectory from `start`, laid out as quadratic_trajectory's.
inline std::vector<double> reference_trajectory(const ReferenceStep& step, std::vector<double> p, int steps) {
  std::vector<double> out;
  for (int s = 0; s < steps; ++s) {
    step(p, quadratic_grad(p));
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

/// Largest |a − b| / max(1e-3, |b|) over two equally long lists (values near 0 compared absolutely).
inline double max_rel_error(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(1e-3, std::abs(b[i])));
  return worst;
}

}  // namespace tg::test

namespace tg::test {

/// Five quadratic steps of `opt` on its only parameter, from `start`, agree with the reference to
/// 1e-13 and with PyTorch's trajectory (pytorch_reference.py) to 1e-12.
inline void check_quadratic_trajectory(optim::Optimizer& opt, const std::vector<double>& start,
                                       const ReferenceStep& reference, const std::vector<double>& pytorch) {
  REQUIRE(opt.params().size() == 1);
  const std::vector<double> ours = quadratic_trajectory(opt, opt.params()[0], 5);
  CHECK(max_rel_error(ours, reference_trajectory(reference, start, 5)) < 1e-13);
  CHECK(max_rel_error(ours, pytorch) < 1e-12);
}

}  // namespace tg::test
