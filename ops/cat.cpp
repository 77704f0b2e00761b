// cat and stack: join tensors along an axis.
//   cat     : y = x_0 | x_1 | ... along `axis`. Around the axis (Note [Copies along an axis] in
//             copy_runs.h) input i is [outer, n_i·inner], and row o of it is one run that lands at
//             y[o, (n_0 + ... + n_{i−1})·inner] in y viewed as [outer, (Σ n)·inner].
//   backward: gx_i[o, :] += the same run of gy, read back.
//   saves   : nothing; the inputs are kept only as gradient targets, the run geometry as numbers.
//   stack   : composed — cat of the inputs, each viewed with a new axis of extent 1 at `axis`.
// Any dtype joins (labels are int64); only float inputs carry gradients.
#include <string>
#include <vector>

#include "autograd/tape.h"
#include "ops/copy_runs.h"
#include "ops/indexing.h"

namespace tg {
namespace {

// Input i's runs: row o of it (length n_i·inner) lands at y[o·row + offset_i].
struct CatRuns {
  std::int64_t runs = 0, length = 0, row = 0, offset = 0;
  std::int64_t src_at(std::int64_t o) const { return o * length; }
  std::int64_t dst_at(std::int64_t o) const { return o * row + offset; }
};

// "[2, 3] float32, [2, 4] float32": every input, for error messages.
std::string describe_all(const std::vector<Tensor>& tensors) {
  std::string s;
  for (std::size_t i = 0; i < tensors.size(); ++i) s += (i ? ", " : "") + std::string(describe(tensors[i]));
  return s;
}

// Throws unless every tensor is defined and has the dtype and rank of the first.
void check_joinable(const std::vector<Tensor>& tensors, const char* op) {
  check(!tensors.empty(), op, ": no tensors to join");
  for (std::size_t i = 0; i < tensors.size(); ++i)
    check(tensors[i].defined(), op, ": tensor ", i, " of ", tensors.size(), " is undefined");
  const Tensor& first = tensors[0];
  for (std::size_t i = 1; i < tensors.size(); ++i)
    check(tensors[i].dtype() == first.dtype() && tensors[i].dim() == first.dim(), op, ": tensors ",
          describe_all(tensors), ": tensor ", i, " differs from tensor 0 in ",
          tensors[i].dtype() == first.dtype() ? "rank" : "dtype");
}

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int axis) {
  check_joinable(tensors, "cat");
  const Tensor& first = tensors[0];
  const int rank = first.dim();
  check(rank >= 1, "cat: tensors ", describe_all(tensors), ": a 0-dimensional tensor has no axis to join along");
  check(axis >= -rank && axis < rank, "cat: axis ", axis, " is out of range for tensors ", describe_all(tensors));
  const int a = axis < 0 ? axis + rank : axis;
  Shape out_shape = first.shape();
  out_shape[a] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    for (int k = 0; k < rank; ++k)
      check(k == a || tensors[i].size(k) == first.size(k), "cat: tensors ", describe_all(tensors), " along axis ",
            axis, ": tensor ", i, " has extent ", tensors[i].size(k), " on axis ", k, " where tensor 0 has ",
            first.size(k));
    out_shape[a] += tensors[i].size(a);
  }

  Tensor y = empty(out_shape, first.dtype());
  const AxisRuns out = axis_runs(out_shape, a);
  std::vector<CatRuns> parts;
  parts.reserve(tensors.size());
  std::int64_t offset = 0;
  for (const Tensor& x : tensors) {
    parts.push_back({out.outer, x.size(a) * out.inner, out.extent * out.inner, offset});
    gather_runs(x, y, parts.back());
    offset += parts.back().length;
  }
  record("cat", std::span<const Tensor>(tensors), y, {}, [tensors, parts](const Tensor& gy) {
    for (std::size_t i = 0; i < tensors.size(); ++i)
      if (tensors[i].requires_grad()) scatter_add_runs("cat", gy, grad_of(tensors[i]), parts[i]);
  });
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, int axis) {
  check_joinable(tensors, "stack");
  const Shape& shape = tensors[0].shape();
  const int rank = shape.dim() + 1;  // of the result
  check(axis >= -rank && axis < rank, "stack: axis ", axis, " is out of range for a new axis of tensors ",
        describe_all(tensors), " (valid: ", -rank, " to ", rank - 1, ")");
  const int a = axis < 0 ? axis + rank : axis;
  for (std::size_t i = 1; i < tensors.size(); ++i)
    check(tensors[i].shape() == shape, "stack: tensors ", describe_all(tensors), ": tensor ", i,
          " differs in shape from tensor 0 (stack needs equal shapes)");
  Shape with_axis;
  for (int k = 0; k < rank; ++k) with_axis.push_back(k < a ? shape[k] : k == a ? 1 : shape[k - 1]);
  std::vector<Tensor> views;
  views.reserve(tensors.size());
  for (const Tensor& x : tensors) views.push_back(x.reshape(with_axis));
  return cat(views, a);
}

}  // namespace tg
