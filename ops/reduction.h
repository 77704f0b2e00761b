// The reduction engine, internal to ops/: how a sum over a set of axes walks memory, the one
// sum over a plan (sum_over) that sum, mean, var and sum_to share, and the one column-sum loop
// (reduce_columns) that the bias gradient, sum over rows and the norms' per-feature sums share.
// Not part of the public API. The engine's kernels are in reduction.cpp.
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

#include <array>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/simd.h"
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

/// scale · Σ of x over the plan's reduced groups, as a new tensor of plan.out_shape. A reduced
/// group that is innermost (contiguous rows) accumulates in double, in the fixed blocks of
/// Note [Deterministic reductions]; one with kept axes inside it is a column sum (reduce_columns)
/// in T, rows in order. Either way the bits do not depend on the thread count. Not recorded.
Tensor sum_over(const Tensor& x, const ReducePlan& plan, double scale);

/// The mask that sums `from` down to `to` (the backward of broadcasting, sum_to): the axes where
/// `to`, right-aligned, has extent 1 and `from` does not. Throws naming `op` unless `to`
/// broadcasts to `from`.
std::uint32_t broadcast_mask(const Shape& from, const Shape& to, const char* op);

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

namespace tg::kernels {

// Note [Per-feature sums]
// ~~~~~~~~~~~~~~~~~~~~~~~
// Many sums run over the rows of a [rows, width] block for each column: a bias gradient, sum
// over axis 0, BatchNorm's statistics and its backward, LayerNorm's γ and β gradients.
// reduce_columns is the one loop for all of them: it takes four SIMD batches of adjacent
// columns at a time and walks the rows in order 0, 1, …, rows−1, so memory is read row after
// row, as it lies (walking one column block down all rows instead touches a new page per row
// and ran ~5× slower on [4096, 1024]), and every column's sum is the same sequence of additions
// whatever block, lane or thread it falls in: the fixed tree of segment sums of Note [Batch sums
// in a fixed tree] (tensor/parallel.h). Callers split work across threads by column, never by
// row.

/// Columns [begin, begin + count) of a block, count ≤ lanes; kFull when count = lanes. load and
/// store read and write those columns of a row (or of a per-column array); a partial block is
/// zero-padded on load and stores only its count.
template <class T, class Arch, bool kFull>
struct Columns {
  using B = simd::Batch<T, Arch>;
  std::int64_t begin, count;
  B load(const T* p) const {
    if constexpr (kFull) return B::load_unaligned(p + begin);
    else return simd::detail::load_tail<B>(p, begin, count);
  }
  void store(T* p, const B& v) const {
    if constexpr (kFull) {
      v.store_unaligned(p + begin);
    } else {
      alignas(64) T lanes[B::size];
      v.store_aligned(lanes);
      std::copy(lanes, lanes + count, p + begin);
    }
  }
};

/// For columns j < width: the rows r = 0 … rows − 1 are accumulated as acc = step(acc, r, cols)
/// from `zero` within each segment of kBatchSegment rows, the segment sums combined by the fixed
/// tree of Note [Batch sums in a fixed tree] (tensor/parallel.h) with combine(left, right), and
/// the result handed to emit(cols, sum) — with cols a Columns of up to one batch and Acc anything
/// made of batches (a batch, or a struct of them for two sums at once). See Note [Per-feature sums].
template <class Arch, class T, class Acc, class Step, class Combine, class Emit>
void reduce_columns(std::int64_t rows, std::int64_t width, const Acc& zero, Step&& step, Combine&& combine,
                    Emit&& emit) {
  constexpr std::int64_t W = simd::kLanes<T, Arch>;
  using Full = Columns<T, Arch, true>;
  // The columns of one block (K of them, each a batch wide), rows in order, segments as a tree.
  auto block = [&](const auto& cols, auto k_tag) {
    constexpr int K = decltype(k_tag)::value;
    TreeSum<Acc> trees[K];
    for (std::int64_t r0 = 0; r0 < rows; r0 += kBatchSegment) {
      const std::int64_t r1 = std::min(rows, r0 + kBatchSegment);
      Acc acc[K];
      for (int k = 0; k < K; ++k) acc[k] = zero;
      for (std::int64_t r = r0; r < r1; ++r)
        for (int k = 0; k < K; ++k) acc[k] = step(acc[k], r, cols[k]);
      for (int k = 0; k < K; ++k) trees[k].push(acc[k], combine);
    }
    for (int k = 0; k < K; ++k) emit(cols[k], trees[k].result(zero, combine));
  };
  std::int64_t j = 0;
  for (; j + 4 * W <= width; j += 4 * W)
    block(std::array<Full, 4>{Full{j, W}, Full{j + W, W}, Full{j + 2 * W, W}, Full{j + 3 * W, W}},
          std::integral_constant<int, 4>{});
  for (; j + W <= width; j += W) block(std::array<Full, 1>{Full{j, W}}, std::integral_constant<int, 1>{});
  if (j < width)
    block(std::array<Columns<T, Arch, false>, 1>{Columns<T, Arch, false>{j, width - j}}, std::integral_constant<int, 1>{});
}

/// Σ x[0, n) in the fixed blocks of Note [Deterministic reductions], added in order in double.
template <class Arch, class T>
double sum_contiguous(const T* x, std::int64_t n);
/// y[j] = scale · Σ_r x[r·stride + j] for j < width (accumulate: y[j] += …), rows in order.
template <class Arch, class T>
void sum_columns(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, double scale, T* y,
                 bool accumulate);
TG_EXTERN_KERNEL(sum_contiguous)
TG_EXTERN_KERNEL(sum_columns)

}  // namespace tg::kernels
