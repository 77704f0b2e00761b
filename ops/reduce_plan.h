// Internal to ops/: how a reduction over a set of axes walks memory. Not part of the public API.
//
// Note [Reduction plans]
// ~~~~~~~~~~~~~~~~~~~~~~
// Reducing axes {1, 2} of a [4, 5, 6, 7] tensor touches memory exactly like reducing axis 1 of
// a [4, 30, 7] one: adjacent axes that are all reduced (or all kept) merge into one group, and
// axes of extent 1 vanish. A plan is that list of groups. Most reductions in a network have one
// reduced group — the tensor is [outer, reduced, inner] — and the forward kernels handle exactly
// that case; a plan with several reduced groups is reduced one group at a time, innermost first.
// The backward of every reduction is a broadcast from the output back to x, and broadcast_rows
// walks x in runs of its last group so the kernel inside sees contiguous memory.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace tg {

/// Fixed-size, so making and copying a plan allocates nothing (Note [Recording without
/// allocating] in autograd/tape.h): a reduction runs on every step, a loss's mean included.
struct ReducePlan {
  int groups = 0;                             ///< coalesced groups of x's axes (at least one)
  std::int64_t extent[Shape::kMaxDims] = {};  ///< each group's extent, outermost first
  bool reduced[Shape::kMaxDims] = {};         ///< whether each group is summed away
  Shape out_shape;                            ///< the result's shape (keepdim applied)
  std::int64_t count = 1;                     ///< elements reduced into each output element
};

/// axis in [0, x.dim()), where a negative axis counts from the end; throws naming `op` and x.
inline int checked_axis(const Tensor& x, int axis, const char* op) {
  const int a = axis < 0 ? axis + x.dim() : axis;
  check(a >= 0 && a < x.dim(), op, ": axis ", axis, " is out of range for ", describe(x));
  return a;
}

/// Checks that x is a defined float tensor and `axes` are valid for it (in range, no repeats;
/// negative axes count from the end), and returns them as a mask: bit a set when axis a is
/// reduced. Errors start with `op` and print x's shape.
std::uint32_t reduce_axis_mask(const Tensor& x, const std::vector<int>& axes, const char* op);

/// The plan for reducing the axes of `shape` selected by `mask`. An empty mask reduces nothing.
/// A backward closure captures the 4-byte mask and rebuilds the plan from it.
ReducePlan make_reduce_plan(const Shape& shape, std::uint32_t mask, bool keepdim);

/// scale · Σ of x over the plan's reduced groups, as a new tensor of plan.out_shape. Float sums
/// accumulate in double per row (fixed blocks, Note [Deterministic reductions]). Not recorded.
Tensor sum_over(const Tensor& x, const ReducePlan& plan, double scale);

/// Calls run(x_offset, y_offset, length, last_reduced) for every run of the plan's last group,
/// in parallel: elements x[x_offset + i], i < length, correspond to y[y_offset + i] when the last
/// group is kept, and all to y[y_offset] when it is reduced (y is laid out as plan.out_shape).
/// Each run is handed to exactly one thread, so a run may write its slice of an x-shaped tensor.
template <class Run>
void broadcast_rows(const ReducePlan& plan, std::int64_t x_numel, Run&& run, std::int64_t cost_per_element = 1) {
  if (x_numel == 0) return;
  const int groups = plan.groups;
  const std::int64_t last = plan.extent[groups - 1];
  const bool last_reduced = plan.reduced[groups - 1];
  parallel_for(x_numel / last, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row) {
      std::int64_t rest = row, y_offset = 0, y_stride = last_reduced ? 1 : last;
      for (int g = groups - 2; g >= 0; --g) {
        const std::int64_t index = rest % plan.extent[g];
        rest /= plan.extent[g];
        if (!plan.reduced[g]) {
          y_offset += index * y_stride;
          y_stride *= plan.extent[g];
        }
      }
      run(row * last, y_offset, last, last_reduced);
    }
  }, last * cost_per_element);
}

}  // namespace tg
