// Module: the base of every layer — named parameters, buffers, generators and children,
// train/eval mode, forward and backward hooks, and a printed summary.
//
// Note [Parameters are handles]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A layer keeps its parameters as Tensor members (weight, bias) and registers the same
// handles with the base class. Both name one TensorImpl, so anything done through the base
// (optimizer updates, checkpoint loads, to(dtype)) is seen by the layer. Loads and updates
// therefore write *into* the existing storage; they never rebind a handle.
//
// Note [Backward hooks]
// ~~~~~~~~~~~~~~~~~~~~~
// A backward hook must run when the gradient of the module's output is complete. The tape
// already knows that moment: it is when the record producing that output runs. So, only while
// the module has backward hooks, operator() returns an alias of forward()'s output (same
// storage, fresh gradient slot) made by one identity record, "backward_hook". Its closure
// calls the hooks with the gradient and passes it through unchanged. Everything downstream
// uses the alias, so its gradient is complete when that record runs — the tape is in creation
// order. A module with no backward hooks records nothing extra. The record refers to the
// module: the module must outlive the tape's next backward (or clear).
//
// Note [Moving modules]
// ~~~~~~~~~~~~~~~~~~~~~
// A module can be moved (not copied), so that nn::Sequential can take layers by value:
// `nn::Sequential model{nn::Linear(2, 64, gen), nn::SELU()}`. Moving is safe because everything
// a module registers travels with it: tensors are handles, children are shared_ptrs, and a
// generator made by register_generator(name, seed) lives on the heap. A module that registers a
// pointer to one of its own members (register_generator(name, &member)) must not be moved, and
// no module may be moved while a forward call's backward hook record is on the tape.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace tg::nn {

class Module {
 public:
  /// Called after forward with (module, input, output). See register_forward_hook.
  using ForwardHook = std::function<void(Module& module, const Tensor& input, const Tensor& output)>;
  /// Called during backward with (module, ∂loss/∂output). See register_backward_hook.
  using BackwardHook = std::function<void(Module& module, const Tensor& grad_output)>;

  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  /// See Note [Moving modules].
  Module(Module&&) noexcept = default;
  Module& operator=(Module&&) = delete;

  /// The layer's computation. Call the module through operator() so hooks run.
  virtual Tensor forward(const Tensor& input) = 0;
  Tensor operator()(const Tensor& input);

  /// Type name, e.g. "Linear".
  virtual std::string type() const = 0;
  /// Constructor arguments for the summary, e.g. "in_features=784, out_features=10".
  virtual std::string extra_repr() const { return ""; }

  // ---- structure ----
  /// Parameters of this module and its children, named by path ("0.weight", "3.bias", ...).
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<Tensor> parameters() const;
  /// Buffers (state that is saved but not trained, e.g. BatchNorm running statistics).
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// Random generators owned by modules (e.g. dropout masks), so checkpoints can save them.
  std::vector<std::pair<std::string, Generator*>> named_generators() const;
  /// Parameters and buffers together in PyTorch's state_dict order (module by module, depth
  /// first: each module's parameters, then its buffers), e.g. "1.weight", "1.running_mean".
  /// The tensors are the module's own handles, not copies.
  std::vector<std::pair<std::string, Tensor>> state_dict() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }
  /// This module and every descendant, depth first, with their path names ("" for this one).
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// Calls fn on every descendant and then on this module (children first, like PyTorch's
  /// Module.apply), e.g. to re-initialise every Linear: see as(). Returns *this.
  Module& apply(const std::function<void(Module&)>& fn);
  /// This module as an M, or nullptr if it is not one: `if (auto* l = m.as<nn::Linear>()) ...`.
  template <class M>
  M* as() {
    return dynamic_cast<M*>(this);
  }
  std::int64_t parameter_count() const;
  /// Names every parameter and buffer tensor by its path, so tape dumps read "0.weight".
  void label_tensors();

  // ---- mode and state ----
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Drops the gradient of every parameter.
  void zero_grad();
  /// Converts every parameter and buffer to `dtype`, in place (handles stay valid).
  void to(DType dtype);

  // ---- hooks ----
  /// Adds fn to run after every forward call of this module; returns a handle for remove_hook.
  /// A hook may not add or remove hooks of its own module (tg::Error): the list is being walked.
  int register_forward_hook(ForwardHook fn);
  /// Adds fn to run in backward when the gradient of this module's output is complete (Note
  /// [Backward hooks]); forward calls made while recording is off don't reach it. Returns a
  /// handle for remove_hook. Like a forward hook, fn may not add or remove hooks of its module.
  int register_backward_hook(BackwardHook fn);
  /// Removes a forward or backward hook.
  void remove_hook(int handle);
  /// Whether any forward or backward hook is registered on this module (not its children).
  bool has_hooks() const { return !forward_hooks_.empty() || !backward_hooks_.empty(); }

  /// Tree of modules with their extra_repr and parameter counts.
  void summary(std::ostream& out) const;

 protected:
  Tensor register_parameter(std::string name, Tensor t);
  Tensor register_buffer(std::string name, Tensor t);
  /// A generator the module owns, on the heap so the module stays movable (Note [Moving modules]).
  Generator& register_generator(std::string name, std::uint64_t seed);
  /// A generator owned elsewhere, which must outlive the module; the module must not be moved
  /// if `gen` is one of its own members.
  void register_generator(std::string name, Generator* gen);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    children_.emplace_back(std::move(name), module);
    return module;
  }

 private:
  void summary(std::ostream& out, const std::string& name, int depth) const;
  /// Calls visit(path, module) on this module and every descendant, depth first.
  template <class Visit>
  void visit_modules(const std::string& path, Visit&& visit) const;
  /// Every module's entries of `list` (e.g. &Module::parameters_), named by path.
  template <class T>
  std::vector<std::pair<std::string, T>> collect(std::vector<std::pair<std::string, T>> Module::*list) const;

  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, Generator*>> generators_;
  std::vector<std::unique_ptr<Generator>> owned_generators_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::vector<std::pair<int, ForwardHook>> forward_hooks_;
  std::vector<std::pair<int, BackwardHook>> backward_hooks_;
  void check_hooks_not_running(const char* what) const;
  int next_hook_ = 0;
  int running_hooks_ = 0;  // > 0 while this module's hooks run: they may not add or remove hooks
  bool training_ = true;
};

std::ostream& operator<<(std::ostream& out, const Module& m);

}  // namespace tg::nn
