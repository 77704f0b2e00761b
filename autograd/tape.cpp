#include "autograd/tape.h"

#include <algorithm>
#include <functional>
#include <cstring>
#include <iomanip>
#include <map>
#include <ostream>
#include <set>
#include <string>

#include "tensor/op_scope.h"

namespace tg {
namespace {
thread_local Tape t_tape;
thread_local bool t_grad_enabled = true;

template <class T>
void add_into(T* dst, const T* src, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) dst[i] += src[i];
}
}  // namespace

Tape& tape() { return t_tape; }
bool grad_enabled() { return t_grad_enabled; }
NoGrad::NoGrad() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGrad::~NoGrad() { t_grad_enabled = previous_; }

bool needs_grad(std::initializer_list<TensorRef> inputs) {
  if (!t_grad_enabled) return false;
  for (TensorRef t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

Tape::Mark Tape::mark() {
  const Mark m{records_.size(), floor_};
  floor_ = std::max(floor_, records_.size());
  return m;
}

void Tape::rewind(const Mark& m) {
  if (records_.size() > m.size) records_.erase(records_.begin() + static_cast<std::ptrdiff_t>(m.size), records_.end());
  floor_ = m.previous_floor;
}

void Tape::drop_dead_tail() {
  // Popping a record releases its inputs, which may kill the record below it: hence a loop.
  while (records_.size() > floor_ && records_.back().dead()) records_.pop_back();
}

Record& detail::push_record(const char* op, std::initializer_list<TensorRef> inputs, const Tensor& output,
                            std::initializer_list<TensorRef> saved) {
  output.impl()->requires_grad = true;
  output.impl()->is_leaf = false;
  t_tape.drop_dead_tail();  // Note [Records nothing can reach]
  // Built in place at the end of the tape (Note [Recording without allocating] in tape.h).
  // Optional inputs (an absent bias, say) are passed as undefined tensors; the record keeps only
  // the defined ones, so every tensor on the tape is real. The output is held weakly, also when
  // it is listed as saved (Note [Tape ownership]).
  Record& r = t_tape.mutable_records().emplace_back();
  r.op = op;
  r.output = output.impl_ptr();
  for (TensorRef t : inputs)
    if (t->defined()) r.inputs.push_back(*t);
  for (TensorRef t : saved) {
    if (t->same(output)) r.saves_output = true;
    else if (t->defined()) r.saved.push_back(*t);
  }
  return r;
}

Tensor grad_of(const Tensor& x) {
  TensorImpl& impl = *x.impl();
  if (!impl.grad) impl.grad = zeros(x.shape(), x.dtype()).impl_ptr();
  return Tensor(impl.grad);
}

Tensor grad_slot(const Tensor& x, bool& fresh) {
  TensorImpl& impl = *x.impl();
  fresh = !impl.grad;
  if (fresh) impl.grad = empty(x.shape(), x.dtype()).impl_ptr();
  return Tensor(impl.grad);
}

void accumulate_grad(const Tensor& x, const Tensor& g, const char* op) {
  if (!(g.shape() == x.shape() && g.dtype() == x.dtype()))
    throw Error(cat(op, ": gradient is ", describe(g), " but its tensor is ", describe(x)));
  if (!x.requires_grad()) return;
  TensorImpl& impl = *x.impl();
  if (!impl.grad) {
    // First contribution: copy it (g may share storage with a tensor the tape still uses).
    impl.grad = empty_like(x).impl_ptr();
    std::memcpy(Tensor(impl.grad).raw_data(), g.raw_data(), static_cast<std::size_t>(g.numel()) * dtype_size(g.dtype()));
    return;
  }
  Tensor acc(impl.grad);
  dispatch(x.dtype(), op, [&]<class T>() { add_into(acc.data<T>(), g.data<T>(), g.numel()); });
}

void accumulate_grad(const Tensor& x, Tensor&& g, const char* op) {
  // A temporary whose handle and storage nobody else holds can be adopted instead of copied.
  const bool adoptable = g.defined() && g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 &&
                         g.impl()->offset == 0 && !g.requires_grad() && g.name().empty();
  if (adoptable && x.defined() && x.requires_grad() && !x.impl()->grad && g.shape() == x.shape() &&
      g.dtype() == x.dtype()) {
    x.impl()->grad = g.impl_ptr();
    g = Tensor();
    return;
  }
  accumulate_grad(x, static_cast<const Tensor&>(g), op);
}

namespace {

// Note [A backward that throws]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A closure may throw (a gradient of the wrong shape, a hook's own error, memory running out)
// after others have already added into parameters' gradients. So that a failed backward changes
// nothing, the leaves' gradient slots are set aside before the first closure runs: each leaf
// starts this pass with no gradient, and its old one is put back afterwards — added to the new
// one on success, restored as it was on failure. In the usual loop (zero_grad, then backward)
// there is no old gradient and this costs one pass over the records' inputs. The list lives in a
// thread_local vector that keeps its capacity: no allocation per step.
struct SetAside {
  TensorImpl* leaf;
  std::shared_ptr<TensorImpl> before;
};
thread_local std::vector<SetAside> t_set_aside;

void set_leaf_gradients_aside(const std::vector<Record>& records) {
  t_set_aside.clear();
  for (const Record& r : records)
    for (const Tensor& t : r.inputs)
      if (t.is_leaf() && t.requires_grad()) t_set_aside.push_back({t.impl(), std::move(t.impl()->grad)});
}

// In reverse, so a leaf listed twice gets its first (real) old gradient back last.
void restore_leaf_gradients() {
  for (auto it = t_set_aside.rbegin(); it != t_set_aside.rend(); ++it) it->leaf->grad = std::move(it->before);
  t_set_aside.clear();
}

void merge_leaf_gradients() {
  for (SetAside& s : t_set_aside) {
    if (!s.before) continue;
    if (!s.leaf->grad) {
      s.leaf->grad = std::move(s.before);
      continue;
    }
    Tensor acc(s.leaf->grad), old(s.before);
    dispatch(acc.dtype(), "backward", [&]<class T>() { add_into(acc.data<T>(), old.data<T>(), acc.numel()); });
  }
  t_set_aside.clear();
}

// Note [Gradient hooks]
// ~~~~~~~~~~~~~~~~~~~~~~
// A leaf's gradient is complete once the earliest record that reads it — the last to run
// backward — has run. Before a backward with hooks registered, each hooked leaf is given that
// record's index (or −1 when no record reads it); the hooks fire as the reverse loop passes
// their index, and the rest at the end. Data-parallel training starts a bucket's exchange there
// (train/distributed.h), while backward goes on through the layers below.
struct GradientHook {
  int handle;
  Tensor leaf;
  std::function<void(const Tensor&)> fn;
  std::int64_t fires_after = -1;  // the record index, for the backward under way
};
thread_local std::vector<GradientHook> t_gradient_hooks;
thread_local int t_next_gradient_hook = 0;

void schedule_gradient_hooks(const std::vector<Record>& records) {
  for (GradientHook& h : t_gradient_hooks) {
    h.fires_after = -1;
    for (std::size_t i = 0; i < records.size() && h.fires_after < 0; ++i)
      for (const Tensor& t : records[i].inputs)
        if (t.same(h.leaf)) {
          h.fires_after = static_cast<std::int64_t>(i);
          break;
        }
  }
}

void fire_gradient_hooks(std::int64_t index) {
  for (GradientHook& h : t_gradient_hooks)
    if (h.fires_after == index) h.fn(h.leaf.grad());
}

bool on_tape(const Tensor& t) {
  const auto& records = t_tape.records();
  for (auto it = records.rbegin(); it != records.rend(); ++it)  // the root is usually the last record
    if (!it->output.owner_before(t.impl_ptr()) && !t.impl_ptr().owner_before(it->output)) return true;
  return false;
}

}  // namespace

int register_gradient_hook(const Tensor& leaf, std::function<void(const Tensor& grad)> fn) {
  check(leaf.defined() && leaf.is_leaf() && leaf.requires_grad(), "register_gradient_hook: ", describe(leaf),
        " is not a leaf that requires a gradient");
  const int handle = t_next_gradient_hook++;
  t_gradient_hooks.push_back({handle, leaf, std::move(fn)});
  return handle;
}

void remove_gradient_hook(int handle) {
  std::erase_if(t_gradient_hooks, [&](const GradientHook& h) { return h.handle == handle; });
}

void backward(const Tensor& root, const Tensor& grad, bool retain_tape) {
  check(root.defined(), "backward: the root tensor is undefined");
  check(root.requires_grad(), "backward: ", describe(root),
        " does not require a gradient (no input of the ops that made it requires one)");
  check(root.is_leaf() || on_tape(root), "backward: ", describe(root),
        " was made by ops whose records are no longer on the tape: a previous backward() cleared them "
        "(pass retain_tape = true to the first call to run backward twice)");
  if (grad.defined()) {
    check(grad.shape() == root.shape() && grad.dtype() == root.dtype(), "backward: root is ", describe(root),
          ", grad is ", describe(grad), ": they must match");
  } else {
    check(root.numel() == 1, "backward: root is ", describe(root), "; a non-scalar root needs an explicit gradient");
  }

  std::vector<Record>& records = t_tape.mutable_records();
  set_leaf_gradients_aside(records);
  const bool hooks = !t_gradient_hooks.empty();
  if (hooks) schedule_gradient_hooks(records);
  try {
    accumulate_grad(root, grad.defined() ? grad : ones(root.shape(), root.dtype()), "backward");
    NoGrad no_grad;  // closures compute with ops too; they must not record
    for (std::size_t i = records.size(); i-- > 0;) {
      Record& r = records[i];
      const Tensor output = r.live_output();
      // Taken out of the slot: an intermediate's gradient is used up once its record has run
      // (Note [Tape ownership]). A dead output, or one nothing flowed into, has nothing to run.
      const Tensor gy = output.defined() ? Tensor(std::move(output.impl()->grad)) : Tensor();
      if (gy.defined()) {
        OpScope scope(r.op, OpScope::Phase::backward);  // Note [What the profiler times] in profiler.h
        r.backward(gy, output);
      }
      if (hooks) fire_gradient_hooks(static_cast<std::int64_t>(i));  // Note [Gradient hooks]
    }
    if (hooks) fire_gradient_hooks(-1);
  } catch (...) {
    for (const Record& r : records)  // intermediates' gradients of this pass go too
      if (Tensor out = r.live_output(); out.defined()) out.impl()->grad.reset();
    if (!root.is_leaf()) root.impl()->grad.reset();
    restore_leaf_gradients();
    t_tape.clear();
    throw;
  }
  merge_leaf_gradients();
  if (!retain_tape) t_tape.clear();
}

// ---- inspection ----

std::size_t Tape::saved_bytes() const {
  std::set<const Storage*> seen;
  std::size_t bytes = 0;
  auto count = [&](const Tensor& t) {
    if (t.defined() && seen.insert(t.impl()->storage.get()).second) bytes += t.impl()->storage->bytes();
  };
  for (const Record& r : records_) {
    for (const Tensor& t : r.saved) count(t);
    if (r.saves_output) count(r.live_output());
  }
  return bytes;
}

namespace {
// Stable short names for tensors: their own name, else t0, t1, ... in order of appearance.
class Namer {
 public:
  std::string operator()(const Tensor& t) {
    if (!t.name().empty()) return t.name();
    auto [it, fresh] = ids_.try_emplace(t.impl(), ids_.size());
    return cat("t", it->second);
  }

 private:
  std::map<const TensorImpl*, std::size_t> ids_;
};

std::string human_bytes(std::size_t bytes) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1);
  if (bytes < 1024)
    out << bytes << " B";
  else if (bytes < (1u << 20))
    out << bytes / 1024.0 << " KiB";
  else
    out << bytes / 1048576.0 << " MiB";
  return out.str();
}

std::size_t record_saved_bytes(const Record& r) {
  std::size_t bytes = 0;
  auto count = [&](const Tensor& t) {
    if (t.defined()) bytes += static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
  };
  for (const Tensor& t : r.saved) count(t);
  if (r.saves_output) count(r.live_output());
  return bytes;
}
}  // namespace

void Tape::dump(std::ostream& out) const {
  Namer name;
  out << "tape: " << records_.size() << " records, " << human_bytes(saved_bytes()) << " saved\n";
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const Record& r = records_[i];
    std::string inputs;
    for (const Tensor& t : r.inputs) inputs += cat(inputs.empty() ? "" : " ", name(t), t.shape());
    const Tensor output = r.live_output();
    out << "  #" << std::left << std::setw(4) << i << std::setw(14) << r.op << inputs << "  ->  "
        << (output.defined() ? cat(name(output), output.shape().str()) : std::string("(freed)"));
    if (!r.saved.empty() || r.saves_output) {
      out << "   saves";
      if (r.saves_output && output.defined()) out << " " << name(output);
      for (const Tensor& t : r.saved) out << " " << name(t);
      out << " (" << human_bytes(record_saved_bytes(r)) << ")";
    }
    out << "\n";
  }
}

void Tape::dump_dot(std::ostream& out) const {
  Namer name;
  std::set<const TensorImpl*> drawn;
  auto tensor_node = [&](const Tensor& t) {
    const std::string id = cat("\"", name(t), "\"");
    if (drawn.insert(t.impl()).second) {
      const bool leaf = t.is_leaf();
      out << "  " << id << " [shape=ellipse" << (leaf && t.requires_grad() ? ", style=filled, fillcolor=lightblue" : "")
          << ", label=\"" << name(t) << "\\n" << t.shape().str() << "\"];\n";
    }
    return id;
  };
  out << "digraph tape {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  for (std::size_t i = 0; i < records_.size(); ++i) {
    const Record& r = records_[i];
    const std::string op = cat("\"#", i, "\"");
    out << "  " << op << " [shape=box, style=filled, fillcolor=lightyellow, label=\"#" << i << " " << r.op;
    if (!r.saved.empty() || r.saves_output) out << "\\nsaves " << human_bytes(record_saved_bytes(r));
    out << "\"];\n";
    // tensor_node() may print a node declaration: call it before starting the edge's line.
    for (const Tensor& t : r.inputs) {
      const std::string input = tensor_node(t);
      out << "  " << input << " -> " << op << ";\n";
    }
    if (const Tensor out_tensor = r.live_output(); out_tensor.defined()) {
      const std::string output = tensor_node(out_tensor);
      out << "  " << op << " -> " << output << ";\n";
    }
  }
  out << "}\n";
}

}  // namespace tg
