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
// A record holds its inputs and its saved tensors by value (shared handles), so everything
// backward needs stays alive until the record is dropped — even if user code lets go of an
// intermediate. Its *output* it holds weakly: the output is alive exactly while the program (or
// a later record, as an input) still refers to it. A closure that needs the output gets it as
// its second argument instead of capturing it. backward() clears the tape when it is done
// (unless asked to retain it), which frees the saved tensors.
// The gradient slot of a tensor lives in its TensorImpl, shared by every copy of the handle.
// Gradients of intermediates (non-leaves) are released as soon as their record has run;
// leaves (parameters) keep theirs until zero_grad().
//
// Note [Records nothing can reach]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A forward pass that never reaches backward() — evaluation without NoGrad — leaves records
// behind. In PyTorch their memory goes when the last tensor does; here too. A record whose
// output has died can never receive a gradient, so it is dead; dropping it releases its inputs,
// which may kill the record before it, and so on. Records are appended in creation order, so an
// abandoned pass sits at the end of the tape: before every new record, dead records are popped
// from the end (amortised O(1): each record is popped once). 1,000 evaluation passes without
// NoGrad thus hold one pass's records at most (tests/autograd/test_tape.cpp measures it).
// A dead record below a live one waits until the live one dies or backward() clears the tape.
//
// Note [Thread model]
// ~~~~~~~~~~~~~~~~~~~
// There is one tape per thread (thread_local), and one grad-mode flag per thread. A training
// loop runs on one thread; parallelism is *inside* ops (the worker pool, tensor/parallel.h), whose
// worker threads never record. Two threads can train two independent models at once; one model
// must not be used from two threads at the same time.
//
// Note [Views and in-place writes]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// reshape() and rows() share storage with their source. Ops never write their inputs; the
// only in-place writes are optimizer updates, done under NoGrad after backward has cleared
// the tape, so no saved tensor is ever overwritten while the tape needs it.
#pragma once

#include <algorithm>
#include <algorithm>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <type_traits>
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

/// Called with the gradient of the record's output and the output itself (Note [Tape ownership]);
/// accumulates into the inputs' gradients.
using BackwardFn = InlineFunction<void(const Tensor& grad_output, const Tensor& output), kBackwardBytes>;

struct Record {
  Record() {}  // user-provided, so emplace_back() does not zero-fill the closure's buffer first
  const char* op = nullptr;
  SmallVector<Tensor, 3> inputs;
  std::weak_ptr<TensorImpl> output;  // weak: Note [Records nothing can reach]
  SmallVector<Tensor, 2> saved;      // what backward keeps alive besides inputs (for accounting)
  bool saves_output = false;         // backward reads the output (counted in saved_bytes)
  BackwardFn backward;

  /// The output, or an undefined tensor once nothing refers to it any more.
  Tensor live_output() const { return Tensor(output.lock()); }
  bool dead() const { return output.expired(); }
};

class Tape {
 public:
  const std::vector<Record>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  void clear() {
    records_.clear();
    floor_ = 0;
  }

  /// Where the tape ends now. Records before a mark are not pruned until rewind(mark), so a
  /// caller can append records, run backward(..., retain_tape = true) on them, and drop exactly
  /// them again — nn/moments.cpp does, to leave its caller's tape as it found it.
  struct Mark {
    std::size_t size, previous_floor;
  };
  Mark mark();
  /// Drops every record made since `m` and restores the pruning floor `m` raised.
  void rewind(const Mark& m);
  /// Pops dead records from the end (Note [Records nothing can reach]); record() calls it.
  void drop_dead_tail();

  /// Bytes held by saved tensors (each storage counted once).
  std::size_t saved_bytes() const;
  /// One line per record: index, op, input shapes -> output shape, bytes saved.
  void dump(std::ostream& out) const;
  /// The same as a Graphviz digraph: tensors are ellipses, ops are boxes.
  void dump_dot(std::ostream& out) const;

  std::vector<Record>& mutable_records() { return records_; }

 private:
  std::vector<Record> records_;
  std::size_t floor_ = 0;  // records below it are never pruned (see mark())
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
/// The closure as a BackwardFn: called as f(gy, y), or as f(gy) if it takes one argument.
template <class F>
BackwardFn backward_fn(F&& f) {
  if constexpr (std::is_invocable_v<F&, const Tensor&, const Tensor&>) return BackwardFn(std::forward<F>(f));
  else return BackwardFn([f = std::forward<F>(f)](const Tensor& gy, const Tensor&) mutable { f(gy); });
}

/// Appends a record without its closure and returns it.
Record& push_record(const char* op, std::initializer_list<TensorRef> inputs, const Tensor& output,
                    std::initializer_list<TensorRef> saved);
}

/// Appends a record when needs_grad(inputs); otherwise does nothing (the closure is never
/// stored). Marks `output` as requiring a gradient. `saved` may list `output` (the record then
/// holds it weakly, Note [Tape ownership]). The closure is called as backward(gy, y) or, if it
/// takes one argument, backward(gy); it must not capture `output` itself, or the output can never
/// die and an abandoned pass is never freed (Note [Records nothing can reach]).
template <class F>
void record(const char* op, std::initializer_list<TensorRef> inputs, const Tensor& output,
            std::initializer_list<TensorRef> saved, F&& backward) {
  if (!needs_grad(inputs)) return;
  BackwardFn fn = detail::backward_fn(std::forward<F>(backward));  // first: if it throws, the tape is unchanged
  detail::push_record(op, inputs, output, saved).backward = std::move(fn);
}

/// The same for an op with any number of inputs (cat, stack): they come from a span.
template <class F>
void record(const char* op, std::span<const Tensor> inputs, const Tensor& output,
            std::initializer_list<TensorRef> saved, F&& backward) {
  const auto wants_grad = [](const Tensor& t) { return t.defined() && t.requires_grad(); };
  if (!grad_enabled() || std::none_of(inputs.begin(), inputs.end(), wants_grad)) return;
  BackwardFn fn = detail::backward_fn(std::forward<F>(backward));
  Record& r = detail::push_record(op, {}, output, saved);
  for (const Tensor& t : inputs)
    if (t.defined()) r.inputs.push_back(t);
  r.backward = std::move(fn);
}

/// The gradient slot of x, created zero-filled on first use. Backward kernels add into it.
Tensor grad_of(const Tensor& x);
/// The gradient slot of x for a kernel that can overwrite as well as add: when x has no gradient
/// yet, a new *uninitialised* slot and fresh = true — the caller must then write every element
/// before anything reads it (a GEMM with accumulate = false, say) — else the slot and fresh =
/// false. It saves grad_of's zero fill (and a pass over memory) for the first contribution.
Tensor grad_slot(const Tensor& x, bool& fresh);

/// grad(x) += g. The one place where a gradient's shape and dtype are checked against its
/// tensor; `op` names the record whose backward produced g.
void accumulate_grad(const Tensor& x, const Tensor& g, const char* op = "backward");
/// The same for a temporary, e.g. accumulate_grad(x, mul(gy, w)): when x has no gradient yet and
/// nothing else refers to g's data, g becomes the gradient as it is, with no copy.
void accumulate_grad(const Tensor& x, Tensor&& g, const char* op = "backward");

/// Calls fn(gradient) during every backward of this thread, once the gradient of `leaf` (a
/// parameter) is complete for that pass — Note [Gradient hooks] in tape.cpp; the gradient is this
/// pass's contribution (call zero_grad before backward to have it whole). Returns a handle.
int register_gradient_hook(const Tensor& leaf, std::function<void(const Tensor& grad)> fn);
void remove_gradient_hook(int handle);

/// Runs the tape backward from `root`. A scalar root is seeded with 1; otherwise pass
/// `grad` of root's shape. Clears the tape afterwards unless retain_tape is true. A root that an
/// op made but whose record is gone (a second backward through a cleared tape) is an error.
/// If a closure throws, the tape is cleared and every gradient is left as it was before the call
/// (Note [A backward that throws] in tape.cpp).
void backward(const Tensor& root, const Tensor& grad = Tensor(), bool retain_tape = false);

}  // namespace tg
