#include "optim/optimizer.h"

#include <charconv>
#include <cmath>
#include <map>

namespace tg::optim {

void Optimizer::zero_grad() {
  for (Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  for (std::size_t g = 0; g < num_groups(); ++g) set_lr(g, lr);
}

void Optimizer::set_momentum(std::size_t group, double momentum) {
  throw Error(cat(name_, ".set_momentum: ", name_, " has no momentum"));
}

const std::vector<double>& Optimizer::initial_lrs() {
  if (initial_lrs_.empty())
    for (std::size_t g = 0; g < num_groups(); ++g) initial_lrs_.push_back(lr(g));
  return initial_lrs_;
}

namespace detail {

std::optional<std::size_t> parse_index(std::string_view text, std::size_t count) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  // from_chars takes no sign or space, but reads "01" and stops at "1x": require digits only,
  // and the canonical form, so one index has one name.
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || (text.size() > 1 && text[0] == '0'))
    return std::nullopt;
  if (value >= count) return std::nullopt;
  return value;
}

Tensor float64_scalar(double value) {
  Tensor t = empty(Shape{}, DType::float64);
  *t.data<double>() = value;
  return t;
}

Tensor int64_scalar(std::int64_t value) {
  Tensor t = empty(Shape{}, DType::int64);
  *t.data<std::int64_t>() = value;
  return t;
}

double float64_value(const Tensor& t, const std::string& where) {
  check(t.dtype() == DType::float64 && t.dim() == 0, where, ": expected a float64 0-dim value");
  const double value = *t.data<double>();
  check(!std::isnan(value), where, ": the value is NaN");
  return value;
}

std::vector<Tensor> check_params(const char* optimizer, const std::vector<std::vector<Tensor>>& groups) {
  std::vector<Tensor> all;
  std::map<const TensorImpl*, std::size_t> group_of;
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const Tensor& p : groups[g]) {
      check(p.defined() && p.requires_grad(), optimizer, ": parameter ", all.size(), " (group ", g, ", ",
            describe(p), ") does not require a gradient");
      const auto [it, added] = group_of.emplace(p.impl(), g);
      check(added, optimizer, ": parameter ", all.size(), " (group ", g, ") is also in group ", it->second,
            ": a parameter may belong to one group only");
      all.push_back(p);
    }
  return all;
}

}  // namespace detail
}  // namespace tg::optim
