#include "nn/module.h"

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <ostream>

#include "autograd/tape.h"

namespace tg::nn {
namespace {
std::string join(const std::string& prefix, const std::string& name) { return prefix.empty() ? name : prefix + "." + name; }

// Thousands separators make parameter counts readable: 19,745,290.
std::string grouped(std::int64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}
}  // namespace

namespace {
// Marks a module's hook list as being walked, for as long as its hooks run (exceptions included).
struct RunningHooks {
  explicit RunningHooks(int& count) : count_(count) { ++count_; }
  ~RunningHooks() { --count_; }
  int& count_;
};
}  // namespace

void Module::check_hooks_not_running(const char* what) const {
  check(running_hooks_ == 0, "Module::", what, ": called from one of the module's own hooks, while its hook list is run");
}

Tensor Module::operator()(const Tensor& input) {
  Tensor output = forward(input);
  if (!forward_hooks_.empty()) {
    RunningHooks running(running_hooks_);
    for (auto& [handle, hook] : forward_hooks_) hook(*this, input, output);
  }
  if (backward_hooks_.empty() || !needs_grad({output})) return output;
  // See Note [Backward hooks].
  Tensor alias = output.detach();
  record("backward_hook", {output}, alias, {}, [this, output](const Tensor& gy) {
    {
      RunningHooks running(running_hooks_);
      for (auto& [handle, hook] : backward_hooks_) hook(*this, gy);
    }
    accumulate_grad(output, gy, "backward_hook");
  });
  return alias;
}

template <class Visit>
void Module::visit_modules(const std::string& path, Visit&& visit) const {
  visit(path, *this);
  for (const auto& [name, child] : children_) child->visit_modules(join(path, name), visit);
}

template <class T>
std::vector<std::pair<std::string, T>> Module::collect(std::vector<std::pair<std::string, T>> Module::*list) const {
  std::vector<std::pair<std::string, T>> out;
  visit_modules("", [&](const std::string& path, const Module& m) {
    for (const auto& [name, entry] : m.*list) out.emplace_back(join(path, name), entry);
  });
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const { return collect(&Module::parameters_); }
std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const { return collect(&Module::buffers_); }
std::vector<std::pair<std::string, Generator*>> Module::named_generators() const {
  return collect(&Module::generators_);
}

std::vector<std::pair<std::string, Tensor>> Module::state_dict() const {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_modules("", [&](const std::string& path, const Module& m) {
    for (const auto* list : {&m.parameters_, &m.buffers_})
      for (const auto& [name, t] : *list) out.emplace_back(join(path, name), t);
  });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  // Every module of the tree is reachable from this non-const one, so dropping const is sound.
  visit_modules("", [&](const std::string& path, const Module& m) { out.emplace_back(path, const_cast<Module*>(&m)); });
  return out;
}

Module& Module::apply(const std::function<void(Module&)>& fn) {
  for (auto& [name, child] : children_) child->apply(fn);
  fn(*this);
  return *this;
}

std::int64_t Module::parameter_count() const {
  std::int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::label_tensors() {
  for (auto& [name, t] : named_parameters()) t.set_name(name);
  for (auto& [name, t] : named_buffers()) t.set_name(name);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (Tensor t : parameters()) t.zero_grad();
}

void Module::to(DType dtype) {
  check(dtype != DType::int64, type(), ".to: parameters must be float32 or float64");
  auto convert = [&](const Tensor& t) {
    if (t.dtype() == dtype) return;
    NoGrad no_grad;
    Tensor converted = t.to(dtype);
    t.impl()->storage = converted.impl()->storage;
    t.impl()->offset = 0;
    t.impl()->dtype = dtype;
    t.impl()->grad.reset();
  };
  for (auto& [name, t] : named_parameters()) convert(t);
  for (auto& [name, t] : named_buffers())
    if (t.dtype() != DType::int64) convert(t);
}

int Module::register_forward_hook(ForwardHook fn) {
  check_hooks_not_running("register_forward_hook");
  forward_hooks_.emplace_back(next_hook_, std::move(fn));
  return next_hook_++;
}

int Module::register_backward_hook(BackwardHook fn) {
  check_hooks_not_running("register_backward_hook");
  backward_hooks_.emplace_back(next_hook_, std::move(fn));
  return next_hook_++;
}

void Module::remove_hook(int handle) {
  check_hooks_not_running("remove_hook");
  std::erase_if(forward_hooks_, [&](const auto& h) { return h.first == handle; });
  std::erase_if(backward_hooks_, [&](const auto& h) { return h.first == handle; });
}

Tensor Module::register_parameter(std::string name, Tensor t) {
  t.requires_grad(true);
  parameters_.emplace_back(std::move(name), t);
  return t;
}

Tensor Module::register_buffer(std::string name, Tensor t) {
  buffers_.emplace_back(std::move(name), t);
  return t;
}

Generator& Module::register_generator(std::string name, std::uint64_t seed) {
  Generator* gen = owned_generators_.emplace_back(std::make_unique<Generator>(seed)).get();
  register_generator(std::move(name), gen);
  return *gen;
}

void Module::register_generator(std::string name, Generator* gen) { generators_.emplace_back(std::move(name), gen); }

void Module::summary(std::ostream& out) const {
  summary(out, "", 0);
  out << "total parameters: " << grouped(parameter_count()) << "\n";
}

void Module::summary(std::ostream& out, const std::string& name, int depth) const {
  std::string line(static_cast<std::size_t>(2 * depth), ' ');
  if (!name.empty()) line += "(" + name + ") ";
  line += type();
  if (const std::string extra = extra_repr(); !extra.empty()) line += "(" + extra + ")";
  out << std::left << std::setw(64) << line;
  if (const std::int64_t n = parameter_count()) out << std::right << std::setw(14) << grouped(n);
  out << "\n";
  for (const auto& [child_name, child] : children_) child->summary(out, child_name, depth + 1);
}

std::ostream& operator<<(std::ostream& out, const Module& m) {
  m.summary(out);
  return out;
}

}  // namespace tg::nn
