// slice: every step-th position in [begin, end) along one axis, as Python's x[begin:end:step].
//   forward : y[.., k, ..] = x[.., begin + k·step, ..] for k < ⌈(end − begin) / step⌉
//   backward: gx[.., begin + k·step, ..] += gy[.., k, ..]; the positions not taken get nothing
//   saves   : nothing; the run geometry as numbers.
// Indices follow Python: a negative begin or end counts from the end of the axis, and both are then
// clamped to [0, extent], so a range past the end is shortened (possibly to nothing), not an error.
// Around the axis (Note [Copies along an axis] in copy_runs.h) step 1 copies one run of
// count·inner elements per outer index; a larger step copies count runs of inner elements.
#include <algorithm>

#include "autograd/tape.h"
#include "ops/copy_runs.h"
#include "ops/indexing.h"

namespace tg {
namespace {

// Run r of the slice: outer index o = r / per_outer, position i = r % per_outer along the axis;
// it starts at x[o, begin + i·step, 0] and at y[r·length].
struct SliceRuns {
  std::int64_t runs = 0, length = 0, per_outer = 1;
  std::int64_t outer_stride = 0, first = 0, stride = 0;  // in x, in elements
  std::int64_t src_at(std::int64_t r) const { return r / per_outer * outer_stride + first + r % per_outer * stride; }
  std::int64_t dst_at(std::int64_t r) const { return r * length; }
};

// Python's rule for one slice bound: negative counts from the end, then clamp to [0, extent].
std::int64_t clamp_bound(std::int64_t bound, std::int64_t extent) {
  if (bound < 0) bound += extent;
  return std::clamp<std::int64_t>(bound, 0, extent);
}

}  // namespace

Tensor slice(const Tensor& x, int axis, std::int64_t begin, std::int64_t end, std::int64_t step) {
  const int a = checked_copy_axis(x, axis, "slice");
  check(step > 0, "slice: step ", step, " of x ", describe(x), " must be positive");
  const AxisRuns around = axis_runs(x.shape(), a);
  const std::int64_t from = clamp_bound(begin, around.extent), to = clamp_bound(end, around.extent);
  const std::int64_t count = to > from ? (to - from + step - 1) / step : 0;

  SliceRuns g;
  g.per_outer = step == 1 ? 1 : count;
  g.length = step == 1 ? count * around.inner : around.inner;
  g.runs = around.outer * g.per_outer;
  g.outer_stride = around.extent * around.inner;
  g.first = from * around.inner;
  g.stride = step * around.inner;

  Tensor y = empty_with_extent(x, a, count);
  gather_runs(x, y, g);
  record("slice", {x}, y, {}, [x, g](const Tensor& gy) { scatter_add_runs("slice", gy, grad_of(x), g); });
  return y;
}

}  // namespace tg
