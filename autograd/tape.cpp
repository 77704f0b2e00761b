#include "autograd/tape.h"

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

Record& detail::push_record(const char* op, std::initializer_list<TensorRef> inputs, const Tensor& output,
                            std::initializer_list<TensorRef> saved) {
  output.impl()->requires_grad = true;
  output.impl()->is_leaf = false;
  // Built in place at the end of the tape (Note [Recording without allocating] in tape.h).
  // Optional inputs (an absent bias, say) are passed as undefined tensors; the record keeps only
  // the defined ones, so every tensor on the tape is real.
  Record& r = t_tape.mutable_records().emplace_back();
  r.op = op;
  r.output = output;
  for (TensorRef t : inputs)
    if (t->defined()) r.inputs.push_back(*t);
  for (TensorRef t : saved)
    if (t->defined()) r.saved.push_back(*t);
  return r;
}

Tensor grad_of(const Tensor& x) {
  TensorImpl& impl = *x.impl();
  if (!impl.grad) impl.grad = zeros(x.shape(), x.dtype()).impl_ptr();
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

void backward(const Tensor& root, const Tensor& grad, bool retain_tape) {
  check(root.defined(), "backward: the root tensor is undefined");
  check(root.requires_grad(), "backward: ", describe(root),
        " does not require a gradient (no input of the ops that made it requires one)");
  if (grad.defined()) {
    accumulate_grad(root, grad, "backward");
  } else {
    check(root.numel() == 1, "backward: root is ", describe(root), "; a non-scalar root needs an explicit gradient");
    accumulate_grad(root, ones(root.shape(), root.dtype()), "backward");
  }

  NoGrad no_grad;  // closures compute with ops too; they must not record
  std::vector<Record>& records = t_tape.mutable_records();
  for (std::size_t i = records.size(); i-- > 0;) {
    Record& r = records[i];
    // Taken out of the slot: an intermediate's gradient is used up once its record has run
    // (Note [Tape ownership]).
    const Tensor gy(std::move(r.output.impl()->grad));
    if (!gy.defined()) continue;  // nothing flowed into this record's output
    OpScope scope(r.op, OpScope::Phase::backward);  // Note [What the profiler times] in profiler.h
    r.backward(gy);
  }
  if (!retain_tape) t_tape.clear();
}

// ---- inspection ----

std::size_t Tape::saved_bytes() const {
  std::set<const Storage*> seen;
  std::size_t bytes = 0;
  for (const Record& r : records_)
    for (const Tensor& t : r.saved)
      if (t.defined() && seen.insert(t.impl()->storage.get()).second) bytes += t.impl()->storage->bytes();
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
  for (const Tensor& t : r.saved) bytes += static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
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
    out << "  #" << std::left << std::setw(4) << i << std::setw(14) << r.op << inputs << "  ->  " << name(r.output)
        << r.output.shape().str();
    if (!r.saved.empty()) {
      out << "   saves";
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
    if (!r.saved.empty()) out << "\\nsaves " << human_bytes(record_saved_bytes(r));
    out << "\"];\n";
    // tensor_node() may print a node declaration: call it before starting the edge's line.
    for (const Tensor& t : r.inputs) {
      const std::string input = tensor_node(t);
      out << "  " << input << " -> " << op << ";\n";
    }
    const std::string output = tensor_node(r.output);
    out << "  " << op << " -> " << output << ";\n";
  }
  out << "}\n";
}

}  // namespace tg
