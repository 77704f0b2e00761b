// The Tensor methods that record on the tape: clone, reshape, rows and to.
//
// They are declared in tensor/tensor.h so that `x.reshape({n, 1})` reads like the rest of the
// Tensor API, but a method that records belongs to the autograd layer: the tensor layer below
// only makes the copy or the view (detail::converted_copy, detail::view_of), and this file
// adds the backward rule.
//   clone  : y = copy of x                      gx += gy
//   reshape: y = view of x with another shape   gx += gy viewed as x's shape
//   rows   : y = view of rows [begin, end)      gx[begin:end] += gy
//   to     : y = x converted to another dtype   gx += gy converted back
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
