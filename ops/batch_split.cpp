// The thread's batch split and the cross-rank tree (Note [One process's bits on R processes]).
#include "ops/batch_split.h"

#include <vector>

namespace tg {
namespace {
thread_local const BatchSplit* t_split = nullptr;

template <class T>
void combine(T* partial, std::int64_t count, const char* op) {
  const BatchSplit* split = t_split;
  if (!split || !split->combiner || split->combiner->ranks() == 1) return;
  const int ranks = split->combiner->ranks();
  check((ranks & (ranks - 1)) == 0, op, ": data-parallel batch sums need a power-of-two number of ranks, got ", ranks);
  std::vector<T> all(static_cast<std::size_t>(ranks * count));
  split->combiner->allgather(partial, all.data(), count);
  // The upper levels of the tree: neighbours pairwise, then pairs of pairs, in rank order.
  for (int width = 1; width < ranks; width *= 2)
    for (int r = 0; r < ranks; r += 2 * width)
      for (std::int64_t i = 0; i < count; ++i) all[r * count + i] = all[r * count + i] + all[(r + width) * count + i];
  std::copy(all.begin(), all.begin() + count, partial);
}
}  // namespace

const BatchSplit* batch_split() { return t_split; }

BatchSplitScope::BatchSplitScope(const BatchSplit& split) : split_(split), previous_(t_split) { t_split = &split_; }
BatchSplitScope::~BatchSplitScope() { t_split = previous_; }

void combine_across_ranks(float* partial, std::int64_t count, const char* op) { combine(partial, count, op); }
void combine_across_ranks(double* partial, std::int64_t count, const char* op) { combine(partial, count, op); }

std::int64_t global_rows(std::int64_t local_rows) { return t_split ? t_split->global_rows : local_rows; }
std::int64_t global_row_offset() { return t_split ? t_split->row_offset : 0; }

}  // namespace tg
