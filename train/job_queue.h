// Independent jobs spread over the ranks of a Communicator, handed out one at a time: tg::dist.
//
// A sweep (the UCI benchmark's grids, seeds, depths) is many jobs that share nothing. run_jobs runs
// them on every rank of a communicator, a few worker threads on each; rank 0 hands out the next job
// number to whichever worker asks first, so a rank that finishes early takes the next job (dynamic,
// not a fixed share per rank), and every result comes back to rank 0, which alone writes files.
//
//   tg::dist::run_jobs(tg::dist::world(), todo.size(), threads,
//                      [&](std::int64_t job) { return run(todo[job]); },       // on some rank
//                      [&](std::int64_t job, const std::string& result) {      // on rank 0
//                        log.append(job, result);
//                      });
//
// Note [Who talks to MPI]
// ~~~~~~~~~~~~~~~~~~~~~~~
// Only the thread that called run_jobs sends and receives (MPI_THREAD_FUNNELED is enough). On rank
// 0 it serves the other ranks' requests while rank 0's own workers take job numbers from the same
// counter directly; on another rank it carries its workers' requests to rank 0 one at a time: a
// request holds the result of the worker's last job (if any) and is answered with its next job
// number, or −1 when none is left. Waiting threads poll with short sleeps, never spin, so they
// leave the cores to the workers. The results do not depend on which rank ran which job as long as
// run(job) does not: that is the caller's side of the bargain (the UCI benchmark keys every seed by
// the job, never by the rank or the order).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "train/distributed.h"

namespace tg::dist {

/// Runs jobs 0 … jobs−1 over every rank of `comm`, `threads` worker threads on each; collective:
/// every rank calls it with the same jobs and threads. run(job) runs on a worker thread of some
/// rank and returns the job's result; done(job, result) runs on rank 0 for every job, one call at
/// a time, in the order the jobs finish. A job (or done) that throws: in a world of one rank, no
/// further job is handed out, the jobs in flight finish, and run_jobs throws tg::Error with the
/// message; with several ranks, comm.abort ends every rank with it, so none waits forever.
void run_jobs(Communicator& comm, std::int64_t jobs, int threads, const std::function<std::string(std::int64_t)>& run,
              const std::function<void(std::int64_t, const std::string&)>& done);

}  // namespace tg::dist
