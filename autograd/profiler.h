// Profiler: how long each op takes, forward and backward, as a table — torch.autograd.profiler
// for C++.
//
//   {
//     tg::Profiler prof;
//     Tensor loss = cross_entropy(model(x), y);
//     backward(loss);
//     prof.report(std::cout);
//   }
//
// op             fwd calls    fwd ms  bwd calls    bwd ms  total ms   share
// linear                 9     4.210          9     8.933    13.143   71.9%
// ...
//
// Note [What the profiler times]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Forward: every op runs its kernel through dispatch(dtype, "op", ...) (tensor/dtype.h), so
// dispatch opens an OpScope and the kernel's time is charged to that name. Backward: backward()
// opens an OpScope around each record's closure, charged to the record's op. Only the
// outermost scope is timed: a closure that calls other ops, or accumulate_grad, counts once,
// for its own record; an op that calls a helper which dispatches counts once.
//   Why not time every op from entry to return? That needs a guard at the top of every op
// function — one more line in each of ~30 files, easy to forget in the next one. Why not
// charge the time between consecutive record() calls? Then user code between two ops (data
// loading, logging) lands on the next op, and ops run under NoGrad, which record nothing,
// vanish. dispatch is already the one door every kernel goes through.
//   What it misses: argument checks and output allocation before the dispatch (microseconds
// against a kernel's milliseconds; the footer shows what fraction of the wall time the ops
// cover). A helper shared by several ops reports under the name the helper dispatches with,
// unless the op claims that time with an OpScope("name") at its top — as mean() and var() do
// for the sums they run.
//   Cost: off, one thread_local pointer test per dispatch and per backward record; on, two
// steady_clock reads and a pointer-keyed lookup per op (tens of nanoseconds).
//   One Profiler per thread at a time is timed: a nested one takes over until it is
// destroyed (or, destroyed out of order, is unlinked and hands nothing back). A Profiler must not
// be created or destroyed inside an op or a backward closure.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "tensor/op_scope.h"

namespace tg {

struct ProfileRow {
  std::string op;
  std::int64_t forward_calls = 0, backward_calls = 0;
  double forward_ms = 0, backward_ms = 0;
  double total_ms() const { return forward_ms + backward_ms; }
};

/// RAII: times every op on this thread from construction to destruction.
class Profiler {
 public:
  Profiler();
  ~Profiler();
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  /// One row per op seen so far, largest total first.
  std::vector<ProfileRow> rows() const;
  /// Milliseconds since construction.
  double wall_ms() const;
  /// The table: op, forward calls and ms, backward calls and ms, total ms, share of the ops'
  /// total; then the wall time and the fraction of it spent inside ops.
  void report(std::ostream& out) const;

 private:
  std::unique_ptr<detail::ProfilerState> state_;
  std::int64_t start_ns_;
};

}  // namespace tg
