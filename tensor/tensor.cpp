#include "tensor/tensor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>

namespace tg {
namespace {

// TensorImpl and Storage objects come from the caching allocator too (Note [Caching allocator]),
// reference counts included: creating a tensor in a loop allocates nothing once it is warm.
// Built field by field in place by TensorImpl's constructor: no zero-filling first and assigning
// after.
std::shared_ptr<TensorImpl> new_impl(const Shape& shape, DType dtype) {
  auto storage = std::allocate_shared<Storage>(PoolAllocator<Storage>(),
                                               static_cast<std::size_t>(shape.numel()) * dtype_size(dtype));
  return std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>(), std::move(storage), std::int64_t{0}, shape,
                                          dtype);
}

// A new handle on the same storage with another shape/offset (a view).
std::shared_ptr<TensorImpl> view_impl(const TensorImpl& src, const Shape& shape, std::int64_t offset) {
  return std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>(), src.storage, offset, shape, src.dtype);
}

std::int64_t flat_index(const Tensor& t, std::initializer_list<std::int64_t> index) {
  const Shape& s = t.shape();
  check(static_cast<int>(index.size()) == s.dim(), "at: index has ", index.size(), " entries for a tensor of shape ",
        s);
  std::int64_t flat = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    check(i >= 0 && i < s[axis], "at: index ", i, " out of range for axis ", axis, " of shape ", s);
    flat = flat * s[axis] + i;
    ++axis;
  }
  return flat;
}

double read(const Tensor& t, std::int64_t i) {
  switch (t.dtype()) {
    case DType::float32: return t.data<float>()[i];
    case DType::float64: return t.data<double>()[i];
    case DType::int64: return static_cast<double>(t.data<std::int64_t>()[i]);
  }
  return 0;
}

void write(const Tensor& t, std::int64_t i, double v) {
  switch (t.dtype()) {
    case DType::float32: t.data<float>()[i] = static_cast<float>(v); break;
    case DType::float64: t.data<double>()[i] = v; break;
    case DType::int64: t.data<std::int64_t>()[i] = static_cast<std::int64_t>(v); break;
  }
}

void convert(const Tensor& src, const Tensor& dst) {
  const std::int64_t n = src.numel();
  if (src.dtype() == dst.dtype()) {
    std::memcpy(dst.raw_data(), src.raw_data(), static_cast<std::size_t>(n) * dtype_size(src.dtype()));
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) write(dst, i, read(src, i));
}

}  // namespace

void detail::throw_undefined(const char* what) {
  throw Error(cat(what, ": the tensor is undefined (default-constructed, or moved from); every op needs a defined one"));
}

void check_float_tensor(const Tensor& x, const char* op) {
  check(x.defined(), op, ": the input is an undefined tensor");
  check(x.dtype() != DType::int64, op, ": expected a float32 or float64 tensor, got ", describe(x));
}

// ---- element access ----

double Tensor::at(std::initializer_list<std::int64_t> index) const { return read(*this, flat_index(*this, index)); }
void Tensor::set(std::initializer_list<std::int64_t> index, double value) {
  write(*this, flat_index(*this, index), value);
}
double Tensor::item() const {
  check(defined() && numel() == 1, "item: expected a one-element tensor, got ", describe(*this));
  return read(*this, 0);
}
std::vector<double> Tensor::to_vector() const {
  std::vector<double> v(static_cast<std::size_t>(numel()));
  for (std::int64_t i = 0; i < numel(); ++i) v[i] = read(*this, i);
  return v;
}

// ---- autograd state ----

Tensor& Tensor::requires_grad(bool on) {
  check(!on || dtype() != DType::int64, "requires_grad: an int64 tensor cannot have a gradient");
  check(is_leaf(), "requires_grad: only leaf tensors can be marked; this one was produced by an op");
  impl_->requires_grad = on;
  return *this;
}
bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }
bool Tensor::is_leaf() const { return !impl_ || impl_->is_leaf; }
Tensor Tensor::grad() const { return impl_ ? Tensor(impl_->grad) : Tensor(); }
void Tensor::zero_grad() { impl_->grad.reset(); }
const std::string& Tensor::name() const { return impl_->name; }
Tensor& Tensor::set_name(std::string name) {
  impl_->name = std::move(name);
  return *this;
}

// ---- copies and views (the recording methods are in autograd/views.cpp) ----

Tensor Tensor::detach() const { return Tensor(view_impl(*impl_, shape(), impl_->offset)); }

namespace detail {
Tensor converted_copy(const Tensor& x, DType dtype) {
  Tensor y(new_impl(x.shape(), dtype));
  convert(x, y);
  return y;
}
Tensor view_of(const Tensor& x, const Shape& shape, std::int64_t offset) {
  return Tensor(view_impl(*x.impl(), shape, offset));
}
}  // namespace detail

// ---- creation ----

Tensor empty(const Shape& shape, DType dtype) { return Tensor(new_impl(shape, dtype)); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }
Tensor zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * dtype_size(dtype));
  return t;
}
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  for (std::int64_t i = 0; i < t.numel(); ++i) write(t, i, value);
  return t;
}
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor arange(double start, double stop, double step, DType dtype) {
  check(step != 0 && std::isfinite(start) && std::isfinite(stop) && std::isfinite(step), "arange: bad range start=", start,
        " stop=", stop, " step=", step);
  const auto n = static_cast<std::int64_t>(std::max(0.0, std::ceil((stop - start) / step)));
  Tensor t = empty({n}, dtype);
  for (std::int64_t i = 0; i < n; ++i) write(t, i, start + static_cast<double>(i) * step);
  return t;
}

Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  check(static_cast<std::int64_t>(values.size()) == shape.numel(), "tensor: ", values.size(),
        " values do not fill shape ", shape, " (", shape.numel(), " elements)");
  Tensor t = empty(shape, dtype);
  for (std::int64_t i = 0; i < t.numel(); ++i) write(t, i, values[i]);
  return t;
}
Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return tensor(std::vector<double>(values), Shape{static_cast<std::int64_t>(values.size())}, dtype);
}
Tensor labels(const std::vector<std::int64_t>& values) {
  Tensor t = empty({static_cast<std::int64_t>(values.size())}, DType::int64);
  std::copy(values.begin(), values.end(), t.data<std::int64_t>());
  return t;
}

std::ostream& operator<<(std::ostream& out, const TensorDescription& d) {
  if (!d.tensor->defined()) return out << "undefined";
  return out << d.tensor->shape() << " " << dtype_name(d.tensor->dtype());
}

TensorDescription::operator std::string() const { return cat(*this); }

// ---- printing ----

namespace {
void print_axis(std::ostream& out, const Tensor& t, int axis, std::int64_t offset, std::int64_t stride) {
  const std::int64_t n = t.shape()[axis];
  const std::int64_t inner = n ? stride / n : 0;
  constexpr std::int64_t kEdge = 3;  // elements shown at each end of a long axis
  out << "[";
  for (std::int64_t i = 0; i < n; ++i) {
    if (n > 2 * kEdge && i == kEdge) {
      out << (axis + 1 == t.dim() ? ", ..." : ",\n ...");
      i = n - kEdge - 1;
      continue;
    }
    if (i) out << (axis + 1 == t.dim() ? ", " : ",\n ");
    if (axis + 1 == t.dim())
      out << read(t, offset + i);
    else
      print_axis(out, t, axis + 1, offset + i * inner, inner);
  }
  out << "]";
}
}  // namespace

std::ostream& operator<<(std::ostream& out, const Tensor& t) {
  if (!t.defined()) return out << "tensor(undefined)";
  out << "tensor(" << t.shape() << ", " << t.dtype();
  if (t.requires_grad()) out << ", requires_grad";
  out << ")\n";
  if (t.dim() == 0)
    out << read(t, 0);
  else
    print_axis(out, t, 0, 0, t.numel());
  return out;
}

}  // namespace tg
