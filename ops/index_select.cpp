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

// Run r = o·count + k, of `length` = inner elements, starts at x[o, indices[k], 0] and at y[r·inner].
struct SelectRuns {
  const std::int64_t* indices = nullptr;
  std::int64_t count = 0, extent = 0, length = 0, runs = 0;
  std::int64_t src_at(std::int64_t r) const { return (r / count * extent + indices[r % count]) * length; }
  std::int64_t dst_at(std::int64_t r) const { return r * length; }
};

}  // namespace

Tensor index_select(const Tensor& x, int axis, const Tensor& indices) {
  const int a = checked_copy_axis(x, axis, "index_select");
  check(indices.defined() && indices.dtype() == DType::int64 && indices.dim() == 1, "index_select: indices are ",
        describe(indices), ": expected a 1-D int64 tensor (x is ", describe(x), ")");
  const AxisRuns around = axis_runs(x.shape(), a);
  const std::int64_t count = indices.numel();
  const std::int64_t* index = indices.data<std::int64_t>();
  for (std::int64_t k = 0; k < count; ++k)
    check(index[k] >= 0 && index[k] < around.extent, "index_select: index ", index[k], " (position ", k,
          ") is out of range for axis ", axis, " of x ", describe(x), ", whose extent is ", around.extent);

  Tensor y = empty_with_extent(x, a, count);
  const SelectRuns g{index, count, around.extent, around.inner, around.outer * count};
  gather_runs(x, y, g);
  record("index_select", {x}, y, {indices}, [x, indices, g](const Tensor& gy) {
    scatter_add_runs("index_select", gy, grad_of(x), g);
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
