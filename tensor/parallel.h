// parallel_for, parallel_reduce and run_tasks: how every kernel spreads its work over threads.
//
// Note [Deterministic reductions]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A reduction over n elements is cut into fixed blocks of kReduceBlock elements — a partition
// that depends on n only, never on the number of threads. Each block is reduced on its own
// (by whichever thread gets it) and the block results are combined in block order on one
// thread. So a float sum gives the same bits with 1, 2 or 64 threads.
//
// Note [The worker pool]
// ~~~~~~~~~~~~~~~~~~~~~~
// Work goes to a fixed pool of num_threads() − 1 workers plus the calling thread. A job is a
// list of tasks whose split depends on the problem only (so, with the rule above, results never
// depend on who runs what), and every participant claims tasks from one atomic counter until none
// are left. The caller never waits for a worker that has not started; it waits only for tasks a
// worker has already claimed. So when another process holds a core and a worker is descheduled,
// the caller just runs the tasks itself — never much slower than one thread — where a fork-join
// region (OpenMP's) waits a scheduler time slice at every barrier for the late thread: on a busy
// two-core machine that made small networks 10–95× slower at 2 threads than at 1. Idle workers
// spin for a few microseconds (the next op of a training step usually comes at once), then sleep
// on a futex, so they do not take a core from the caller. OMP_NUM_THREADS (or set_num_threads)
// still says how many threads there are. A call from inside a task, or from a second thread while
// the pool is busy with another caller's job, runs on the calling thread alone.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tg {

/// Below this much work (elements × cost) an op stays on the calling thread: waking a thread
/// costs more than it saves.
inline constexpr std::int64_t kParallelGrain = 1 << 15;
/// Size of the fixed blocks of Note [Deterministic reductions].
inline constexpr std::int64_t kReduceBlock = 1 << 13;

// Note [Batch sums in a fixed tree]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A sum over the rows of a batch — a weight gradient gyᵀ·x, a bias gradient, BatchNorm's
// statistics and their backward, a batch's loss — is not added row after row. The rows are cut
// into segments of kBatchSegment, each segment is summed from zero, and the segment sums are
// combined as a fixed binary tree: pairs of neighbours, then pairs of pairs (a stack that merges
// two sums of the same level; a count that is not a power of two leaves the last few sums to be
// folded from the right). So a batch split into 2^k equal parts of whole segments gives, part by
// part, exactly the subtrees of the whole batch's tree — which is what lets data-parallel
// training on R processes give one process's bits (docs/distributed.md): each rank sums its rows
// into a subtree, and the ranks' subtrees are combined by the same tree. Pairwise summation is
// also more accurate than a long chain (error O(log n) instead of O(n) roundings).
inline constexpr std::int64_t kBatchSegment = 32;
/// Most levels a tree of segment sums has: up to 2^kMaxTreeLevels segments (more fold right).
inline constexpr int kMaxTreeLevels = 12;

/// The stack of Note [Batch sums in a fixed tree]: push the segment sums in order, then take the
/// result. combine(left, right) adds two sums; Part is a value type (a batch, a struct of them).
template <class Part>
class TreeSum {
 public:
  template <class Combine>
  void push(Part part, Combine&& combine) {
    int level = 0;
    while (top_ > 0 && level_[top_ - 1] == level && top_ <= kMaxTreeLevels) {
      part = combine(part_[top_ - 1], part);
      --top_;
      ++level;
    }
    if (top_ == kMaxTreeLevels) {  // deeper than the stack: fold into the last slot
      part_[top_ - 1] = combine(part_[top_ - 1], part);
      return;
    }
    part_[top_] = part;
    level_[top_++] = level;
  }
  /// The sum: what remains on the stack, folded from the right. `empty` when nothing was pushed.
  template <class Combine>
  Part result(const Part& empty, Combine&& combine) const {
    if (top_ == 0) return empty;
    Part sum = part_[top_ - 1];
    for (int i = top_ - 2; i >= 0; --i) sum = combine(part_[i], sum);
    return sum;
  }

 private:
  Part part_[kMaxTreeLevels];
  int level_[kMaxTreeLevels];
  int top_ = 0;
};

/// Number of threads work may use (OMP_NUM_THREADS, or set_num_threads).
inline int num_threads() { return omp_get_max_threads(); }
inline void set_num_threads(int n) { omp_set_num_threads(std::max(1, n)); }

/// A non-owning reference to a callable taking a task index.
class TaskRef {
 public:
  template <class F>
  TaskRef(F& f) : object_(&f), call_([](void* o, std::int64_t i) { (*static_cast<F*>(o))(i); }) {}  // NOLINT
  void operator()(std::int64_t i) const { call_(object_, i); }

 private:
  void* object_;
  void (*call_)(void*, std::int64_t);
};

/// Runs task(i) for every i in [0, tasks) on up to `threads` threads (the caller included) of the
/// pool (Note [The worker pool]); returns when all have run. Tasks must not throw.
void run_tasks(std::int64_t tasks, TaskRef task, int threads);

/// Calls fn(begin, end) on disjoint contiguous ranges covering [0, n), in parallel when the
/// work (n·cost_per_element) is at least kParallelGrain. Ranges start at multiples of 16. fn must
/// not throw.
template <class Fn>
void parallel_for(std::int64_t n, Fn&& fn, std::int64_t cost_per_element = 1) {
  if (n <= 0) return;
  const std::int64_t work = n * std::max<std::int64_t>(cost_per_element, 1);
  const int threads = num_threads();
  if (work < 2 * kParallelGrain || threads == 1) {
    fn(std::int64_t{0}, n);
    return;
  }
  // A few chunks per thread, none much below the grain: a late worker then still finds some.
  const std::int64_t chunks = std::min<std::int64_t>(4 * threads, work / kParallelGrain);
  const std::int64_t chunk = ((n + chunks - 1) / chunks + 15) / 16 * 16;
  auto task = [&](std::int64_t c) {
    const std::int64_t begin = std::min(n, c * chunk), end = std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  };
  run_tasks((n + chunk - 1) / chunk, task, threads);
}

/// Reduces [0, n) with a fixed block partition (Note [Deterministic reductions]):
/// map(begin, end) -> Acc for each block, then combine(acc, block_acc) in block order.
template <class Acc, class Map, class Combine>
Acc parallel_reduce(std::int64_t n, Acc init, Map&& map, Combine&& combine) {
  const std::int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  if (blocks <= 1) return n > 0 ? combine(init, map(std::int64_t{0}, n)) : init;
  if (num_threads() == 1 || n < 2 * kParallelGrain) {  // the same blocks in the same order, no buffer
    Acc acc = init;
    for (std::int64_t b = 0; b < blocks; ++b) acc = combine(acc, map(b * kReduceBlock, std::min(n, (b + 1) * kReduceBlock)));
    return acc;
  }
  std::vector<Acc> partial(blocks);
  auto task = [&](std::int64_t b) { partial[b] = map(b * kReduceBlock, std::min(n, (b + 1) * kReduceBlock)); };
  run_tasks(blocks, task, num_threads());
  Acc acc = init;
  for (const Acc& p : partial) acc = combine(acc, p);
  return acc;
}

}  // namespace tg
