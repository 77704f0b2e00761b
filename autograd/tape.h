// The tape: reverse-mode automatic differentiation as a list of records in creation order.
//
// Every differentiable op computes its result and then calls record(): {op name, inputs,
// output, saved tensors, backward closure}. backward(loss) walks the records from last to
// first and calls each closure with the gradient of that record's output; the closure
// *accumulates* into its inputs' gradients. Because the tape is in creation order, an
// output's gradient is complete before its record runs: no graph search, no topological sort.
//
// Note [Tape ownership]
// ~~~~~~~~~~~~~~~~~~~~~
// A record holds its inputs, its output and its saved tensors by value (shared handles), so
// everything backward needs stays alive until the record is dropped — even if user code lets
// go of an intermediate. backward() clears the tape when it is done (unless asked to retain
// it), which frees the saved tensors. A forward pass whose loss never goes through backward()
// stays on the tape until tape().clear(): evaluate under tg::NoGrad to record nothing.
// The gradient slot of a tensor lives in its TensorImpl, shared by every copy of the handle.
// Gradients of intermediates (non-leaves) are released as soon as their record has run;
// leaves (parameters) keep theirs until zero_grad().
//
// Note [Thread model]
// ~~~~~~~~~~~~~~~~~~~
// There is one tape per thread (thread_local), and one grad-mode flag per thread. A training
// loop runs on one thread; parallelism is *inside* ops (OpenMP, see parallel.h), whose worker
// threads never record. Two threads can train two independent models at once; one model
// must not be used from two threads at the same time.
//
// Note [Views and in-place writes]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// reshape() and rows() share storage with their source. Ops never write their inputs; the
// only in-place writes are optimizer updates, done under NoGrad after backward has cleared
// the tape, so no saved tensor is ever overwritten while the tape needs it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <iosfwd>
#include <span>
#include <vector>

#include "tensor/inline_function.h"
#include "tensor/small_vector.h"
#include "tensor/tensor.h"

namespace tg {

// Note [Recording without allocating]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Recording an op must cost next to nothing, or small graphs drown in bookkeeping. So nothing
// in a record touches the heap once the tape is warm: the tape's vector keeps its capacity
// across clear(); inputs and saved tensors sit in SmallVectors sized for every op we have;
// the closure sits in an InlineFunction whose buffer holds captures of up to kBackwardBytes
// (six tensor handles, or three and a few numbers); and the tensors themselves come from the
// caching allocator (Note [Caching allocator] in storage.h). A closure that captures more still
// works; it just costs one allocation.
inline constexpr std::size_t kBackwardBytes = 96;

/// Called with the gradient of the record's output; accumulates into the inputs' gradients.
using BackwardFn = InlineFunction<void(const Tensor& grad_output), kBackwardBytes>;

struct Record {
  Record() {}  // user-provided, so emplace_back() does not zero-fill the closure's buffer first
  const char* op = nullptr;
  SmallVector<Tensor, 3> inputs;
  Tensor output;
  SmallVector<Tensor, 2> saved;  // what backward keeps alive besides inputs (for accounting)
  BackwardFn backward;
};

class Tape {
 public:
  const std::vector<Record>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  void clear() { records_.clear(); }

  /// Bytes held by saved tensors (each storage counted once).
  std::size_t saved_bytes() const;
  /// One line per record: index, op, input shapes -> output shape, bytes saved.
  void dump(std::ostream& out) const;
  /// The same as a Graphviz digraph: tensors are ellipses, ops are boxes.
  void dump_dot(std::ostream& out) const;

  std::vector<Record>& mutable_records() { return records_; }

 private:
  std::vector<Record> records_;
};

/// This thread's tape.
Tape& tape();

/// False inside a NoGrad scope: ops then record nothing.
bool grad_enabled();

/// RAII guard that switches recording off for its scope (like torch.no_grad()).
class NoGrad {
 public:
  NoGrad();
  ~NoGrad();
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  bool previous_;
};

/// A tensor borrowed for the length of one call. The brace lists of record() and needs_grad()
/// hold these, so `{x, weight, bias}` copies three pointers instead of bumping three atomic
/// reference counts; the record then keeps its own handles.
class TensorRef {
 public:
  TensorRef(const Tensor& t) : tensor_(&t) {}  // NOLINT: implicit, so {a, b} just works
  const Tensor& operator*() const { return *tensor_; }
  const Tensor* operator->() const { return tensor_; }

 private:
  const Tensor* tensor_;
};

/// True when recording is on and at least one input requires a gradient.
bool needs_grad(std::initializer_list<TensorRef> inputs);

namespace detail {
/// Appends a record without its closure and returns it.
Record& push_record(const char* op, std::initializer_list<TensorRef> inputs, const Tensor& output,
                    std::initializer_list<TensorRef> saved);
}

/// Appends a record when needs_grad(inputs); otherwise does nothing (the closure is never
/// stored). Marks `output` as requiring a gradient.
template <class F>
void record(const char* op, std::initializer_list<TensorRef> inputs, const Tensor& output,
            std::initializer_list<TensorRef> saved, F&& backward) {
  if (!needs_grad(inputs)) return;
  BackwardFn fn(std::forward<F>(backward));  // first: if it throws, the tape is unchanged
  detail::push_record(op, inputs, output, saved).backward = std::move(fn);
}

/// The same for an op with any number of inputs (cat, stack): they come from a span.
template <class F>
void record(const char* op, std::span<const Tensor> inputs, const Tensor& output,
            std::initializer_list<TensorRef> saved, F&& backward) {
  const auto wants_grad = [](const Tensor& t) { return t.defined() && t.requires_grad(); };
  if (!grad_enabled() || std::none_of(inputs.begin(), inputs.end(), wants_grad)) return;
  BackwardFn fn(std::forward<F>(backward));
  Record& r = detail::push_record(op, {}, output, saved);
  for (const Tensor& t : inputs)
    if (t.defined()) r.inputs.push_back(t);
  r.backward = std::move(fn);
}

/// The gradient slot of x, created zero-filled on first use. Backward kernels add into it.
Tensor grad_of(const Tensor& x);

/// grad(x) += g. The one place where a gradient's shape and dtype are checked against its
/// tensor; `op` names the record whose backward produced g.
void accumulate_grad(const Tensor& x, const Tensor& g, const char* op = "backward");
/// The same for a temporary, e.g. accumulate_grad(x, mul(gy, w)): when x has no gradient yet and
/// nothing else refers to g's data, g becomes the gradient as it is, with no copy.
void accumulate_grad(const Tensor& x, Tensor&& g, const char* op = "backward");

/// Runs the tape backward from `root`. A scalar root is seeded with 1; otherwise pass
/// `grad` of root's shape. Clears the tape afterwards unless retain_tape is true.
void backward(const Tensor& root, const Tensor& grad = Tensor(), bool retain_tape = false);

}  // namespace tg
