// Optimizer: updates parameters in place from their gradients, in parameter groups that carry
// options of their own (PyTorch's param_groups).
//
// Note [Parameter groups]
// ~~~~~~~~~~~~~~~~~~~~~~~
// An optimizer holds one or more groups, each a list of parameters and a complete set of the
// optimizer's options (SGDOptions, AdamOptions, RMSpropOptions):
//   optim::SGD opt({{.params = body, .options = {.lr = 0.01}},
//                   {.params = head, .options = {.lr = 0.1, .momentum = 0.9}}});
// Built from a plain parameter list, as in `optim::SGD opt(model.parameters(), {.lr = 0.1})`,
// it has one group. A group's options are complete structs, so an option a group does not set
// takes the struct's default, not another group's value: copy the options and change what
// differs. A parameter may belong to one group only. Parameters are numbered k = 0, 1, ...
// across the groups in order, as in PyTorch's state_dict; options(g) may be changed between steps
// (schedules change lr, OneCycleLR the momentum).
//
// Note [Optimizer state]
// ~~~~~~~~~~~~~~~~~~~~~~
// state() names everything that decides the next update, for checkpoints:
//   group.<g>.<option>   float64 0-dim: every option of group g (booleans as 0 or 1)
//   step.<k>             int64 0-dim: updates parameter k has received (absent before its first)
//   <slot>.<k>           parameter k's state tensors, e.g. "momentum_buffer.3", "exp_avg.0"
// load_state() takes such a list and checks all of it — names, indices, shapes, dtypes, and the
// options' own constraints — before it changes anything: on a tg::Error naming the entry the
// optimizer is as it was. A slot that is absent starts fresh at the parameter's next update
// (zeros; SGD's momentum buffer copies the first direction), as if the parameter had none.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "autograd/tape.h"
#include "tensor/npz.h"
#include "tensor/tensor.h"

namespace tg::optim {

/// Parameters that share options (Note [Parameter groups]).
template <class Options>
struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

class Optimizer {
 public:
  explicit Optimizer(const char* name) : name_(name) {}
  virtual ~Optimizer() = default;

  /// One update from the current gradients; parameters without a gradient are skipped.
  virtual void step() = 0;
  /// Drops every parameter's gradient.
  void zero_grad();

  /// Every parameter, group by group.
  const std::vector<Tensor>& params() const { return params_; }
  virtual std::size_t num_groups() const = 0;
  virtual const std::vector<Tensor>& params(std::size_t group) const = 0;

  /// The learning rate of `group`; lr() is group 0's.
  virtual double lr(std::size_t group) const = 0;
  double lr() const { return lr(0); }
  virtual void set_lr(std::size_t group, double lr) = 0;
  /// Sets every group's learning rate.
  void set_lr(double lr);
  /// The momentum a schedule may cycle (SGD's and RMSprop's momentum, Adam's beta1), if any.
  virtual std::optional<double> momentum(std::size_t group) const { return std::nullopt; }
  virtual void set_momentum(std::size_t group, double momentum);

  /// The groups' learning rates when the first schedule was attached (PyTorch's initial_lr):
  /// every schedule built on this optimizer counts from them, so chained or sequential schedules
  /// agree on the base even after one of them has changed lr. Recorded on the first call.
  const std::vector<double>& initial_lrs();

  /// Everything that decides the next update, by name (Note [Optimizer state]).
  virtual NamedTensors state() const = 0;
  /// Restores state() output; all of it or, on tg::Error, nothing.
  virtual void load_state(const NamedTensors& state) = 0;

 protected:
  const char* name_;  // "SGD", "Adam", ...: the start of error messages
  std::vector<Tensor> params_;
  std::vector<double> initial_lrs_;
};

/// The common part of every optimizer with options of type Options: its groups, their options,
/// per-parameter state, and state()/load_state(). A subclass supplies update(), and Options
/// supplies validate(where) and visit(f) (f(name, field) for each option, double& or bool&).
template <class Options>
class GroupedOptimizer : public Optimizer {
 public:
  using Group = ParamGroup<Options>;

  void step() override;
  std::size_t num_groups() const override { return groups_.size(); }
  const std::vector<Tensor>& params(std::size_t group) const override { return checked(group).params; }
  using Optimizer::lr;
  using Optimizer::params;
  using Optimizer::set_lr;
  double lr(std::size_t group) const override { return checked(group).options.lr; }
  void set_lr(std::size_t group, double lr) override { checked(group).options.lr = lr; }

  const std::vector<Group>& param_groups() const { return groups_; }
  /// The options of `group`, to read or to change between steps; validated again at load_state.
  const Options& options(std::size_t group = 0) const { return checked(group).options; }
  Options& options(std::size_t group = 0) { return checked(group).options; }

  NamedTensors state() const override;
  void load_state(const NamedTensors& state) override;

 protected:
  /// One parameter's state: its update count and one tensor per slot (undefined until needed).
  struct ParamState {
    std::int64_t step = 0;
    std::vector<Tensor> slots;
  };

  /// `name` prefixes errors ("Adam"); `slot_names` are the per-parameter state tensors.
  GroupedOptimizer(const char* name, std::vector<Group> groups, std::vector<std::string> slot_names);
  /// Updates p from its gradient g; state.step already counts this update.
  virtual void update(const Options& options, const Tensor& p, const Tensor& g, ParamState& state) = 0;
  /// Slot `slot` of `state`, created as zeros like p if it is undefined.
  static Tensor& zeros_slot(ParamState& state, std::size_t slot, const Tensor& p);

 private:
  // groups_[group], or a tg::Error naming the optimizer and the number of groups.
  const Group& checked(std::size_t group) const {
    check(group < groups_.size(), name_, ": parameter group ", group, " does not exist (", groups_.size(), " groups)");
    return groups_[group];
  }
  Group& checked(std::size_t group) { return const_cast<Group&>(std::as_const(*this).checked(group)); }

  std::vector<Group> groups_;
  std::vector<std::string> slot_names_;
  std::vector<ParamState> state_;  // one per parameter k
};

}  // namespace tg::optim

// ---- GroupedOptimizer's members (templates, so that optimizers outside the library can use it) ----

namespace tg::optim::detail {
/// k if `text` is the decimal form of an integer k < count (digits only), else nullopt.
std::optional<std::size_t> parse_index(std::string_view text, std::size_t count);
Tensor float64_scalar(double value);
Tensor int64_scalar(std::int64_t value);
/// The value of a 0-dim float64 entry of a state list; tg::Error from `where` otherwise.
double float64_value(const Tensor& t, const std::string& where);
/// Checks that every parameter of `groups` requires a gradient and appears once; returns them in order.
std::vector<Tensor> check_params(const char* optimizer, const std::vector<std::vector<Tensor>>& groups);
}  // namespace tg::optim::detail

namespace tg::optim {

template <class Options>
GroupedOptimizer<Options>::GroupedOptimizer(const char* name, std::vector<Group> groups,
                                            std::vector<std::string> slot_names)
    : Optimizer(name), groups_(std::move(groups)), slot_names_(std::move(slot_names)) {
  std::vector<std::vector<Tensor>> lists;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].options.validate(groups_.size() == 1 ? std::string(name) : cat(name, ": group ", g));
    lists.push_back(groups_[g].params);
  }
  params_ = detail::check_params(name, lists);
  state_.assign(params_.size(), ParamState{0, std::vector<Tensor>(slot_names_.size())});
}

template <class Options>
void GroupedOptimizer<Options>::step() {
  std::size_t k = 0;
  for (const Group& group : groups_)
    for (const Tensor& p : group.params) {
      ParamState& state = state_[k++];
      const Tensor g = p.grad();
      if (!g.defined()) continue;
      ++state.step;
      update(group.options, p, g, state);
    }
}

template <class Options>
Tensor& GroupedOptimizer<Options>::zeros_slot(ParamState& state, std::size_t slot, const Tensor& p) {
  Tensor& t = state.slots[slot];
  if (!t.defined()) t = zeros_like(p);
  return t;
}

template <class Options>
NamedTensors GroupedOptimizer<Options>::state() const {
  NamedTensors out;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    Options options = groups_[g].options;
    options.visit([&](const char* field, auto& value) {
      out.emplace_back(cat("group.", g, ".", field), detail::float64_scalar(static_cast<double>(value)));
    });
  }
  for (std::size_t k = 0; k < state_.size(); ++k) {
    if (state_[k].step > 0) out.emplace_back(cat("step.", k), detail::int64_scalar(state_[k].step));
    for (std::size_t s = 0; s < slot_names_.size(); ++s)
      if (state_[k].slots[s].defined()) out.emplace_back(cat(slot_names_[s], ".", k), state_[k].slots[s]);
  }
  return out;
}

template <class Options>
void GroupedOptimizer<Options>::load_state(const NamedTensors& state) {
  const std::string me = cat(name_, ".load_state: ");
  std::vector<Group> groups = groups_;  // the options to install, checked before anything changes
  std::vector<ParamState> fresh(state_.size(), ParamState{0, std::vector<Tensor>(slot_names_.size())});
  std::vector<std::string> seen;
  for (const auto& [name, t] : state) {
    const std::string where = cat(me, "'", name, "' (", describe(t), ")");
    check(std::find(seen.begin(), seen.end(), name) == seen.end(), where, ": appears twice");
    seen.push_back(name);
    const std::size_t dot = name.rfind('.');
    check(dot != std::string::npos, where, ": not an entry of ", name_, "'s state");
    const std::string head = name.substr(0, dot), tail = name.substr(dot + 1);
    if (head.starts_with("group.")) {  // group.<g>.<option>
      const std::optional<std::size_t> g = detail::parse_index(std::string_view(head).substr(6), groups.size());
      check(g.has_value(), where, ": the optimizer has ", groups.size(), " parameter group(s)");
      const double value = detail::float64_value(t, where);
      bool known = false;
      groups[*g].options.visit([&](const char* field, auto& option) {
        if (tail != field) return;
        known = true;
        if constexpr (std::is_same_v<std::remove_cvref_t<decltype(option)>, bool>) {
          check(value == 0 || value == 1, where, ": a flag must be 0 or 1, got ", value);
          option = value == 1;
        } else {
          option = value;
        }
      });
      check(known, where, ": ", name_, " has no option '", tail, "'");
      continue;
    }
    const std::optional<std::size_t> k = detail::parse_index(tail, params_.size());
    check(k.has_value(), where, ": the index must name one of the ", params_.size(), " parameters");
    const Tensor& p = params_[*k];
    if (head == "step") {
      check(t.dtype() == DType::int64 && t.dim() == 0, where, ": expected an int64 0-dim step count");
      fresh[*k].step = *t.template data<std::int64_t>();
      check(fresh[*k].step > 0, where, ": the step count must be positive, got ", fresh[*k].step);
      continue;
    }
    const auto slot = std::find(slot_names_.begin(), slot_names_.end(), head);
    check(slot != slot_names_.end(), where, ": ", name_, " keeps no '", head, "' state");
    check(t.shape() == p.shape() && t.dtype() == p.dtype(), where, ": does not match parameter ", *k, " (",
          describe(p), ")");
    NoGrad no_grad;
    fresh[*k].slots[static_cast<std::size_t>(slot - slot_names_.begin())] = t.clone();
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    groups[g].options.visit([&](const char* field, auto&) {
      const std::string name = cat("group.", g, ".", field);
      check(std::find(seen.begin(), seen.end(), name) != seen.end(), me, "'", name, "' is missing");
    });
    try {
      groups[g].options.validate(cat(me, "group ", g));
    } catch (const Error& e) {
      // validate says "<where>: <option> must ..."; name the entry of the state that set the option.
      const std::string_view message = e.what();
      std::string entry;
      groups[g].options.visit([&](const char* field, auto&) {
        if (entry.empty() && message.find(cat(": ", field, " ")) != std::string_view::npos)
          entry = cat("group.", g, ".", field);
      });
      if (entry.empty()) throw;
      throw Error(cat(message, " (entry '", entry, "')"));
    }
  }
  for (std::size_t g = 0; g < groups.size(); ++g) groups_[g].options = groups[g].options;
  state_ = std::move(fresh);
}

}  // namespace tg::optim
