// The OpenMP wait policy the benchmark programs run under, unless the caller chose one.
//
// Note [OpenMP settings of the benchmarks]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Between two parallel regions libgomp's idle workers spin before they sleep: by default
// GOMP_SPINCOUNT = 300,000 rounds of `pause`, which is ~140 cycles on recent Xeons — about 20 ms
// of a core burnt after every region. A training step runs a hundred regions back to back, so
// on a machine where anything else runs (two cores, shared) the spinning workers take the core
// the main thread needs: the 2-thread step measured 3–4× slower than with sleeping workers
// (docs/benchmarks.md has the figures). GOMP_SPINCOUNT=1000 (~60 µs) still catches the next
// region of a step while it spins, then sleeps; measured as fast as OMP_WAIT_POLICY=passive
// on a busy machine, and it keeps the hand-off between back-to-back regions cheap on a quiet one.
// Threads are not bound (OMP_PROC_BIND unset): pinned workers cannot move off a core another
// process is using, which measured slower on the shared machine.
//
// libgomp reads its environment once, when it is loaded — before main — so a program cannot
// change it for itself with setenv. apply_omp_defaults() sets GOMP_SPINCOUNT when neither it nor
// OMP_WAIT_POLICY is set and re-executes the program once (/proc/self/exe, same arguments); a
// setting the caller made is never overridden. compare_pytorch.py gives PyTorch the same.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace tg::bench {

inline constexpr const char* kSpinCount = "1000";

inline void apply_omp_defaults(char** argv) {
  if (std::getenv("GOMP_SPINCOUNT") || std::getenv("OMP_WAIT_POLICY")) return;  // chosen by the caller
  setenv("GOMP_SPINCOUNT", kSpinCount, 1);
  execv("/proc/self/exe", argv);
  std::perror("apply_omp_defaults: re-exec failed; running with libgomp's default spinning");
}

}  // namespace tg::bench
