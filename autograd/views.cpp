// The Tensor methods that record on the tape: clone, reshape, rows and to.
//
// They are declared in tensor/tensor.h so that `x.reshape({n, 1})` reads like the rest of the
// Tensor API, but a method that records belongs to the autograd layer: the tensor layer below
// only makes the copy or the view (detail::converted_copy, detail::view_of), and this file
// adds the backward rule.
//   clone  : y = copy of x                      gx += gy
//   reshape: y = view of x with another shape   gx += gy viewed as x's shape
//            (one extent of the new shape may be −1, inferred from the element count)
//   rows   : y = view of rows [begin, end)      gx[begin:end] += gy
//   to     : y = x converted to another dtype   gx += gy converted back
#include <string>

#include "autograd/tape.h"

namespace tg {

Tensor Tensor::clone() const {
  Tensor y = detail::converted_copy(*this, dtype());
  record("clone", {*this}, y, {}, [x = *this](const Tensor& gy) { accumulate_grad(x, gy, "clone"); });
  return y;
}

Tensor Tensor::reshape(const Shape& new_shape) const {
  check(new_shape.numel() == numel(), "reshape: cannot view ", describe(*this), " as ", new_shape, " (", numel(),
        " vs ", new_shape.numel(), " elements)");
  Tensor y = detail::view_of(*this, new_shape, impl()->offset);
  record("reshape", {*this}, y, {}, [x = *this](const Tensor& gy) { accumulate_grad(x, gy.reshape(x.shape()), "reshape"); });
  return y;
}

namespace {

// "[-1, 5]": the extents a caller asked for, which a Shape cannot hold while one is −1.
std::string dims_str(std::span<const std::int64_t> dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// dims with its one −1 (if any) replaced by numel / (the product of the other extents).
Shape infer_shape(const Tensor& x, std::span<const std::int64_t> dims) {
  check(dims.size() <= Shape::kMaxDims, "reshape: ", describe(x), " as ", dims_str(dims), ": at most ",
        Shape::kMaxDims, " dimensions are supported");
  std::int64_t resolved[Shape::kMaxDims] = {};
  std::int64_t known = 1;
  int unknown = -1;  // position of the −1
  for (std::size_t i = 0; i < dims.size(); ++i) {
    resolved[i] = dims[i];
    if (dims[i] == -1) {
      check(unknown < 0, "reshape: cannot view ", describe(x), " as ", dims_str(dims),
            ": only one extent may be -1 (the inferred one)");
      unknown = static_cast<int>(i);
    } else {
      check(dims[i] >= 0, "reshape: cannot view ", describe(x), " as ", dims_str(dims), ": extent ", dims[i],
            " is negative (only -1, for an extent to infer, is allowed)");
      known *= dims[i];
    }
  }
  if (unknown >= 0) {
    check(known > 0, "reshape: cannot view ", describe(x), " as ", dims_str(dims),
          ": the -1 extent is ambiguous when the others multiply to 0");
    check(x.numel() % known == 0, "reshape: cannot view ", describe(x), " as ", dims_str(dims), ": ", x.numel(),
          " elements are not a multiple of ", known, ", the product of the other extents");
    resolved[unknown] = x.numel() / known;
  }
  return Shape(std::span<const std::int64_t>(resolved, dims.size()));
}

}  // namespace

Tensor Tensor::reshape(std::initializer_list<std::int64_t> dims) const {
  return reshape(std::span<const std::int64_t>(dims.begin(), dims.size()));
}

Tensor Tensor::reshape(std::span<const std::int64_t> dims) const { return reshape(infer_shape(*this, dims)); }

Tensor Tensor::rows(std::int64_t begin, std::int64_t end) const {
  check(dim() >= 1, "rows: expected at least one dimension, got ", describe(*this));
  check(0 <= begin && begin <= end && end <= size(0), "rows: range [", begin, ", ", end, ") is outside axis 0 of ",
        describe(*this));
  Shape s = shape();
  s[0] = end - begin;
  const std::int64_t row = size(0) ? numel() / size(0) : 0;
  Tensor y = detail::view_of(*this, s, impl()->offset + begin * row);
  record("rows", {*this}, y, {}, [x = *this, begin, row](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "rows", [&]<class T>() {
      T* dst = gx.data<T>() + begin * row;
      const T* src = gy.data<T>();
      for (std::int64_t i = 0; i < gy.numel(); ++i) dst[i] += src[i];
    });
  });
  return y;
}

Tensor Tensor::to(DType target) const {
  Tensor y = detail::converted_copy(*this, target);
  if (target != DType::int64 && dtype() != DType::int64)
    record("to", {*this}, y, {}, [x = *this](const Tensor& gy) { accumulate_grad(x, gy.to(x.dtype()), "to"); });
  return y;
}

}  // namespace tg
