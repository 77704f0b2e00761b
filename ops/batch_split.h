// A batch split over data-parallel processes: what the ops that reduce over the batch need to
// know when this process holds only its rows of the global batch (docs/distributed.md).
//
// Note [One process's bits on R processes]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Data-parallel training on R processes gives exactly the parameters one process computes from
// the same global batch, because
//   - every sum over the batch's rows is the fixed tree of Note [Batch sums in a fixed tree]
//     (tensor/parallel.h), and each rank holds whole subtrees of it — R a power of two, the rows
//     chosen by Note [Which rows a rank holds] (train/distributed.cpp): halves of the batch when
//     its segment count is a power of two — so each rank's sums are subtrees of the one-process
//     tree, and combine_across_ranks adds the R subtrees by the same tree's upper levels, in rank
//     order, on every rank;
//   - the losses' mean divides by the global row count, and BatchNorm's statistics and the sums
//     of its backward are combined across ranks before they are used (synchronised BatchNorm);
//   - a dropout mask is keyed by the element's index in the *global* batch (row_offset), never
//     by rank, and every rank advances its generators by the global batch's draws;
//   - the parameter gradients — each rank's subtree sums — are combined the same way by
//     train/distributed.h before the optimiser steps, and the step is the same arithmetic on
//     every rank.
// Everything else a step computes is per row, whose bits do not depend on which rows share a
// process (Note [GEMM determinism] in gemm.cpp).
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

/// Combines partial sums across the processes of a split batch: implemented by the
/// communication layer (train/distributed.h); ops only call it.
class BatchCombiner {
 public:
  virtual ~BatchCombiner() = default;
  virtual int rank() const = 0;
  virtual int ranks() const = 0;
  /// Every rank's `count` values, rank after rank, into all[ranks()·count] on every rank.
  virtual void allgather(const float* local, float* all, std::int64_t count) = 0;
  virtual void allgather(const double* local, double* all, std::int64_t count) = 0;
};

/// This process's part of a global batch: rows [row_offset, row_offset + local rows) of
/// global_rows, the rest on other ranks of `combiner`.
struct BatchSplit {
  std::int64_t global_rows = 0;
  std::int64_t row_offset = 0;
  BatchCombiner* combiner = nullptr;
};

/// The split this thread's ops see, or null when the batch is whole here (the usual case).
const BatchSplit* batch_split();

/// Sets the split for its scope (this thread), restoring the previous one after.
class BatchSplitScope {
 public:
  explicit BatchSplitScope(const BatchSplit& split);
  ~BatchSplitScope();
  BatchSplitScope(const BatchSplitScope&) = delete;
  BatchSplitScope& operator=(const BatchSplitScope&) = delete;

 private:
  BatchSplit split_;
  const BatchSplit* previous_;
};

/// partial[0, count) holds this rank's subtree sums of a batch reduction; replaces them with the
/// sums over all ranks, combined as the upper levels of the fixed tree (Note [One process's bits
/// on R processes]). Nothing to do without a split. Throws tg::Error naming `op` if the ranks
/// are not a power of two.
void combine_across_ranks(float* partial, std::int64_t count, const char* op);
void combine_across_ranks(double* partial, std::int64_t count, const char* op);

/// The rows a batch reduction divides by: the global batch's under a split, else `local_rows`.
std::int64_t global_rows(std::int64_t local_rows);
/// The global index of this process's first row (0 without a split).
std::int64_t global_row_offset();

}  // namespace tg
