// parallel_for and parallel_reduce: the only places (besides GEMM) where OpenMP appears.
//
// Note [Deterministic reductions]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A reduction over n elements is cut into fixed blocks of kReduceBlock elements — a partition
// that depends on n only, never on the number of threads. Each block is reduced on its own
// (by whichever thread gets it) and the block results are combined in block order on one
// thread. So a float sum gives the same bits with 1, 2 or 64 threads.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tg {

/// Below this many elements an elementwise op stays on the calling thread: waking a thread
/// costs more than it saves.
inline constexpr std::int64_t kParallelGrain = 1 << 15;
/// Size of the fixed blocks of Note [Deterministic reductions].
inline constexpr std::int64_t kReduceBlock = 1 << 13;

/// Number of threads parallel regions may use (OMP_NUM_THREADS, or set_num_threads).
inline int num_threads() { return omp_get_max_threads(); }
inline void set_num_threads(int n) { omp_set_num_threads(std::max(1, n)); }

/// Calls fn(begin, end) on disjoint contiguous ranges covering [0, n), in parallel when the
/// work (n·cost_per_element) is at least kParallelGrain. Ranges start at multiples of 16 so
/// SIMD loops see the same alignment on every thread. fn must not throw.
template <class Fn>
void parallel_for(std::int64_t n, Fn&& fn, std::int64_t cost_per_element = 1) {
  if (n <= 0) return;
  if (n * cost_per_element < kParallelGrain || num_threads() == 1) {
    fn(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const std::int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const std::int64_t chunk = ((n + threads - 1) / threads + 15) / 16 * 16;
    const std::int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  }
}

/// Reduces [0, n) with a fixed block partition (Note [Deterministic reductions]):
/// map(begin, end) -> Acc for each block, then combine(acc, block_acc) in block order.
template <class Acc, class Map, class Combine>
Acc parallel_reduce(std::int64_t n, Acc init, Map&& map, Combine&& combine) {
  const std::int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  if (blocks <= 1) return n > 0 ? combine(init, map(std::int64_t{0}, n)) : init;
  if (num_threads() == 1 || n < kParallelGrain) {  // the same blocks in the same order, no buffer
    Acc acc = init;
    for (std::int64_t b = 0; b < blocks; ++b) acc = combine(acc, map(b * kReduceBlock, std::min(n, (b + 1) * kReduceBlock)));
    return acc;
  }
  std::vector<Acc> partial(blocks);
#pragma omp parallel for schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b)
    partial[b] = map(b * kReduceBlock, std::min(n, (b + 1) * kReduceBlock));
  Acc acc = init;
  for (const Acc& p : partial) acc = combine(acc, p);
  return acc;
}

}  // namespace tg
