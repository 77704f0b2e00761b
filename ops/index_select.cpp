// index_select: the positions `indices` along one axis, in that order (repeats allowed).
//   forward : y[.., k, ..] = x[.., indices[k], ..]
//   backward: gx[.., indices[k], ..] += gy[.., k, ..] — a scatter-add, so a position taken twice
//             gets both gradients, added in the order of k
//   saves   : the int64 indices (the caller's tensor, or one made from the vector).
// Indices must lie in [0, extent): unlike slice's bounds they are not wrapped or clamped, since a
// gather from a wrong row is a silent bug. Around the axis (Note [Copies along an axis] in
// copy_runs.h) each (outer index, k) pair moves one run of inner elements.
#include "autograd/tape.h"
#include "ops/copy_runs.h"
#include "ops/indexing.h"

namespace tg {
namespace {

// Run r = o·count + k starts at x[o, indices[k], 0] and at y[r·inner].
struct SelectRuns {
  const std::int64_t* indices = nullptr;
  std::int64_t count = 0, extent = 0, inner = 0, runs = 0;
  std::int64_t src_at(std::int64_t r) const { return (r / count * extent + indices[r % count]) * inner; }
  std::int64_t dst_at(std::int64_t r) const { return r * inner; }
};

}  // namespace

Tensor index_select(const Tensor& x, int axis, const Tensor& indices) {
  check(x.defined(), "index_select: the input is undefined");
  check(x.dim() >= 1, "index_select: x is ", describe(x), ": a 0-dimensional tensor has no axis to index");
  check(axis >= -x.dim() && axis < x.dim(), "index_select: axis ", axis, " is out of range for ", describe(x));
  check(indices.defined() && indices.dtype() == DType::int64 && indices.dim() == 1, "index_select: indices are ",
        describe(indices), ": expected a 1-D int64 tensor (x is ", describe(x), ")");
  const int a = axis < 0 ? axis + x.dim() : axis;
  const AxisRuns around = axis_runs(x.shape(), a);
  const std::int64_t count = indices.numel();
  const std::int64_t* index = indices.data<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k)
    check(index[k] >= 0 && index[k] < around.extent, "index_select: index ", index[k], " (position ", k,
          ") is out of range for axis ", axis, " of x ", describe(x), ", whose extent is ", around.extent);

  Shape out_shape = x.shape();
  out_shape[a] = count;
  Tensor y = empty(out_shape, x.dtype());
  const SelectRuns g{index, count, around.extent, around.inner, around.outer * count};
  kernels::copy_runs(
      x.raw_data(), [&g](std::int64_t r) { return g.src_at(r); }, y.raw_data(),
      [&g](std::int64_t r) { return g.dst_at(r); }, g.runs, g.inner, dtype_size(x.dtype()));

  record("index_select", {x}, y, {indices}, [x, indices, g](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "index_select", [&]<class T>() {
      kernels::add_runs(
          gy.data<T>(), [&g](std::int64_t r) { return g.dst_at(r); }, gx.data<T>(),
          [&g](std::int64_t r) { return g.src_at(r); }, g.runs, g.inner);
    });
  });
  return y;
}

Tensor index_select(const Tensor& x, int axis, const std::vector<std::int64_t>& indices) {
  return index_select(x, axis, labels(indices));
}

Tensor index_select(const Tensor& x, int axis, std::initializer_list<std::int64_t> indices) {
  return index_select(x, axis, labels(std::vector<std::int64_t>(indices)));
}

}  // namespace tg
