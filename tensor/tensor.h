// Tensor: an N-dimensional, row-major, contiguous array of float32, float64 or int64.
//
// A Tensor is a handle. Copying a Tensor copies the handle: both name the same data and the
// same gradient slot, as in PyTorch. clone() copies the data. reshape() and rows() are views
// into the same storage. See Note [Tape ownership] in autograd/tape.h for who keeps what alive.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace tg {

struct TensorImpl;

class Tensor {
 public:
  Tensor() = default;  ///< an undefined tensor; defined() is false
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int dim() const { return shape().dim(); }
  std::int64_t size(int axis) const { return shape().size(axis); }
  std::int64_t numel() const { return shape().numel(); }
  DType dtype() const;

  /// Pointer to the first element, typed; T must match dtype() (asserted, not checked).
  template <class T> T* data() const;
  void* raw_data() const;

  /// Element access for tests and small programs; index has one entry per dimension.
  double at(std::initializer_list<std::int64_t> index) const;
  void set(std::initializer_list<std::int64_t> index, double value);
  /// The value of a one-element tensor.
  double item() const;
  /// All elements as doubles, row-major.
  std::vector<double> to_vector() const;

  // ---- autograd ----
  /// Marks a leaf as a parameter: backward() fills its grad(). Returns *this for chaining.
  Tensor& requires_grad(bool on);
  bool requires_grad() const;
  /// True unless this tensor was produced by a recorded op.
  bool is_leaf() const;
  /// The accumulated gradient (undefined until a backward pass reaches this tensor).
  Tensor grad() const;
  /// Drops the accumulated gradient.
  void zero_grad();

  // ---- copies and views (the differentiable ones record: autograd/views.cpp) ----
  Tensor clone() const;                                          ///< new storage; differentiable
  Tensor detach() const;                                         ///< same storage, no gradient
  Tensor reshape(const Shape& shape) const;                      ///< view; differentiable
  /// The same, where one extent may be −1: it is inferred from numel(), e.g. x.reshape({-1, 784}).
  Tensor reshape(std::initializer_list<std::int64_t> dims) const;
  Tensor reshape(std::span<const std::int64_t> dims) const;
  Tensor rows(std::int64_t begin, std::int64_t end) const;       ///< view of rows [begin, end) of axis 0
  Tensor to(DType dtype) const;                                  ///< converted copy; differentiable

  bool same(const Tensor& other) const { return impl_ == other.impl_; }
  const std::string& name() const;
  Tensor& set_name(std::string name);

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

struct TensorImpl {
  // A constructor rather than parenthesised aggregate initialisation, which clang 14 lacks.
  TensorImpl(std::shared_ptr<Storage> storage_, std::int64_t offset_, Shape shape_, DType dtype_)
      : storage(std::move(storage_)), offset(offset_), shape(std::move(shape_)), dtype(dtype_) {}

  std::shared_ptr<Storage> storage;
  std::int64_t offset = 0;  // in elements
  Shape shape;
  DType dtype = DType::float32;
  bool requires_grad = false;
  bool is_leaf = true;
  std::shared_ptr<TensorImpl> grad;
  std::string name;
};

namespace detail {
[[noreturn]] void throw_undefined(const char* what);
}
// Every op reads shape() or dtype() first, so an undefined tensor is caught here at the latest
// (ops that check their inputs say so by name first).
inline const Shape& Tensor::shape() const {
  if (!impl_) [[unlikely]] detail::throw_undefined("shape");
  return impl_->shape;
}
inline DType Tensor::dtype() const {
  if (!impl_) [[unlikely]] detail::throw_undefined("dtype");
  return impl_->dtype;
}
inline void* Tensor::raw_data() const {
  if (!impl_) [[unlikely]] detail::throw_undefined("data");
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * dtype_size(impl_->dtype);
}
template <class T>
T* Tensor::data() const {
  return static_cast<T*>(raw_data());
}

std::ostream& operator<<(std::ostream& out, const Tensor& t);

namespace detail {
/// The non-recording halves of clone()/to() and of reshape()/rows(), which autograd/views.cpp
/// wraps with their backward rules.
Tensor converted_copy(const Tensor& x, DType dtype);
Tensor view_of(const Tensor& x, const Shape& shape, std::int64_t offset);
}  // namespace detail

// ---- creation ----
/// Uninitialised memory; every element must be written before it is read.
Tensor empty(const Shape& shape, DType dtype = DType::float32);
Tensor empty_like(const Tensor& t);
Tensor zeros(const Shape& shape, DType dtype = DType::float32);
Tensor zeros_like(const Tensor& t);
Tensor ones(const Shape& shape, DType dtype = DType::float32);
Tensor full(const Shape& shape, double value, DType dtype = DType::float32);
/// [start, start+step, ...) up to but excluding stop, as a 1-D tensor.
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
/// Copies `values` into a new tensor of the given shape (numel must match).
Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype = DType::float32);
Tensor tensor(std::initializer_list<double> values, DType dtype = DType::float32);  ///< 1-D
Tensor labels(const std::vector<std::int64_t>& values);                               ///< 1-D int64

/// Throws tg::Error naming `op` unless x is a defined float32 or float64 tensor.
void check_float_tensor(const Tensor& x, const char* op);

/// A tensor's shape and dtype, printed as "[2, 3] float32" (or "undefined"): what error messages
/// show. Formatting waits until the message is built, so `check(ok, "op: x is ", describe(x))`
/// costs one pointer, not a string, while ok holds — and checks run on every op call. It refers
/// to t: print or convert it within the expression that made it, as check() and cat() do.
struct TensorDescription {
  const Tensor* tensor;
  operator std::string() const;
};
inline TensorDescription describe(const Tensor& t) { return {&t}; }
std::ostream& operator<<(std::ostream& out, const TensorDescription& d);

}  // namespace tg
