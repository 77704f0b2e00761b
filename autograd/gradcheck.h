// gradcheck: the tape's gradients against central finite differences, in float64.
//
// For f: inputs -> y, gradcheck draws a fixed random weight tensor w (shape of y) and checks
// the gradient of L = Σ w ⊙ f(inputs) — a random projection that exercises every output.
// The analytic gradient comes from tg::backward(y, w); the numeric one from
// (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h for every element i of every input that requires a gradient.
// The error of one element is |analytic − numeric| / max(1, |analytic|, |numeric|).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

struct GradcheckOptions {
  double step = 1e-6;       ///< finite-difference step h
  double tolerance = 1e-6;  ///< largest acceptable error
  std::uint64_t seed = 1;   ///< seed of the projection weights w
};

struct GradcheckResult {
  bool ok = true;
  double max_error = 0;      ///< worst error over all checked elements
  std::size_t input = 0;     ///< which input holds the worst element
  std::int64_t element = 0;  ///< its flat index
  double analytic = 0, numeric = 0;
  std::int64_t checked = 0;  ///< number of elements compared
  std::string str() const;   ///< a one-line report of the worst element
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

/// Checks every float64 input with requires_grad(true). Inputs must be float64.
/// Throws tg::Error for bad arguments (no checked input, non-float64 input).
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace tg
