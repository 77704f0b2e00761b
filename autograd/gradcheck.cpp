#include "autograd/gradcheck.h"

#include <algorithm>
#include <cmath>

#include "tensor/random.h"
#include "autograd/tape.h"

namespace tg {
namespace {
double weighted_sum(const Tensor& y, const Tensor& w) {
  const double* a = y.data<double>();
  const double* b = w.data<double>();
  double s = 0;
  for (std::int64_t i = 0; i < y.numel(); ++i) s += a[i] * b[i];
  return s;
}
}  // namespace

std::string GradcheckResult::str() const {
  return cat(ok ? "gradcheck passed" : "gradcheck FAILED", ": worst error ", max_error, " at input ", input, " element ",
             element, " (analytic ", analytic, ", numeric ", numeric, "), ", checked, " elements checked");
}

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  bool any = false;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    check(!inputs[k].defined() || !inputs[k].requires_grad() || inputs[k].dtype() == DType::float64, "gradcheck: input ",
          k, " is ", describe(inputs[k]), "; gradients are checked in float64");
    any = any || (inputs[k].defined() && inputs[k].requires_grad());
  }
  check(any, "gradcheck: no input requires a gradient");

  // Analytic: one backward pass with the projection weights as the output gradient.
  for (const Tensor& x : inputs)
    if (x.defined() && x.requires_grad()) const_cast<Tensor&>(x).zero_grad();
  Tensor y = f(inputs);
  check(y.dtype() == DType::float64, "gradcheck: f returned ", describe(y), "; expected float64");
  Generator gen(options.seed);
  Tensor w = rand(y.shape(), gen, DType::float64, -1.0, 1.0);
  if (y.requires_grad()) backward(y, w);
  std::vector<Tensor> analytic;
  for (const Tensor& x : inputs) {
    analytic.push_back(x.defined() && x.requires_grad() && x.grad().defined() ? x.grad() : Tensor());
    if (x.defined() && x.requires_grad()) const_cast<Tensor&>(x).zero_grad();
  }

  // Numeric: central differences, recording nothing.
  NoGrad no_grad;
  GradcheckResult result;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.defined() || !x.requires_grad()) continue;
    double* v = x.data<double>();
    for (std::int64_t i = 0; i < x.numel(); ++i) {
      const double saved = v[i];
      v[i] = saved + options.step;
      const double up = weighted_sum(f(inputs), w);
      v[i] = saved - options.step;
      const double down = weighted_sum(f(inputs), w);
      v[i] = saved;
      const double numeric = (up - down) / (2 * options.step);
      const double a = analytic[k].defined() ? analytic[k].data<double>()[i] : 0.0;
      double err = std::abs(a - numeric) / std::max({1.0, std::abs(a), std::abs(numeric)});
      if (std::isnan(err)) err = INFINITY;
      if (++result.checked == 1 || err > result.max_error) {
        result.max_error = err;
        result.input = k;
        result.element = i;
        result.analytic = a;
        result.numeric = numeric;
      }
    }
  }
  result.ok = result.max_error <= options.tolerance;
  return result;
}

}  // namespace tg
