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

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <vector>

#include "autograd/tensor.h"

namespace tg {

/// Called with the gradient of the record's output; accumulates into the inputs' gradients.
using BackwardFn = std::function<void(const Tensor& grad_output)>;

struct Record {
  const char* op;
  std::vector<Tensor> inputs;
  Tensor output;
  std::vector<Tensor> saved;  // what backward keeps alive besides inputs (for accounting)
  BackwardFn backward;
};

class Tape {
 public:
  const std::vector<Record>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  void clear() { records_.clear(); }
  void push(Record record) { records_.push_back(std::move(record)); }

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

/// True when recording is on and at least one input requires a gradient.
bool needs_grad(std::initializer_list<Tensor> inputs);

namespace detail {
void push_record(const char* op, std::initializer_list<Tensor> inputs, const Tensor& output,
                 std::initializer_list<Tensor> saved, BackwardFn backward);
}

/// Appends a record when needs_grad(inputs); otherwise does nothing (the closure is never
/// turned into a std::function). Marks `output` as requiring a gradient.
template <class F>
void record(const char* op, std::initializer_list<Tensor> inputs, const Tensor& output,
            std::initializer_list<Tensor> saved, F&& backward) {
  if (!needs_grad(inputs)) return;
  detail::push_record(op, inputs, output, saved, BackwardFn(std::forward<F>(backward)));
}

/// The gradient slot of x, created zero-filled on first use. Backward kernels add into it.
Tensor grad_of(const Tensor& x);

/// grad(x) += g. The one place where a gradient's shape and dtype are checked against its
/// tensor; `op` names the record whose backward produced g.
void accumulate_grad(const Tensor& x, const Tensor& g, const char* op = "backward");

/// Runs the tape backward from `root`. A scalar root is seeded with 1; otherwise pass
/// `grad` of root's shape. Clears the tape afterwards unless retain_tape is true.
void backward(const Tensor& root, const Tensor& grad = Tensor(), bool retain_tape = false);

}  // namespace tg
