// Data-parallel training over MPI (or over threads of one process): tg::dist.
//
// Start-up broadcasts rank 0's parameters and buffers; every step splits the global batch into
// parts of whole 32-row segments (one per rank), runs forward and backward with the batch split in
// effect (ops/batch_split.h), combines the gradients across ranks in buckets, and steps the same
// optimiser everywhere. The result is bitwise the parameters one process computes from the same
// global batch — Note [One process's bits on R processes] in ops/batch_split.h says why — so a run
// can move between 1, 2 or 4 processes and back. docs/distributed.md is the user's guide.
//
//   tg::dist::Communicator& world = tg::dist::world();          // MPI under mpirun, else one rank
//   tg::dist::DataParallel ddp(model, world);                     // broadcasts rank 0's parameters
//   for (each global batch x, y of `rows` rows) {
//     auto [begin, end] = ddp.rows_of(rows);                      // this rank's rows
//     opt.zero_grad();
//     {
//       auto split = ddp.split(rows);                             // forward and backward under it
//       backward(cross_entropy(model(x.rows(begin, end)), y.rows(begin, end)));
//     }
//     ddp.synchronize_gradients();                                // the buckets, combined
//     opt.step();
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/tape.h"
#include "nn/module.h"
#include "ops/batch_split.h"

namespace tg::dist {

/// A group of ranks that train one model together. Every collective must be called by every
/// rank, in the same order. Failures are tg::Error; abort() ends the whole job.
class Communicator : public BatchCombiner {
 public:
  /// `bytes` of `data` on `root` copied to every rank.
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;
  virtual void barrier() = 0;
  /// Starts an allgather of `count` values; finish() waits for it. One may be in flight per bucket.
  class Pending {
   public:
    virtual ~Pending() = default;
    virtual void finish() = 0;
  };
  virtual std::unique_ptr<Pending> start_allgather(const float* local, float* all, std::int64_t count) = 0;
  virtual std::unique_ptr<Pending> start_allgather(const double* local, double* all, std::int64_t count) = 0;
  /// Point-to-point messages (for handing out work: train/job_queue.h). `tag` ≥ 0 tells kinds of
  /// message apart; messages from one rank with one tag arrive in the order sent.
  struct Message {
    int from = 0, tag = 0;
    std::string bytes;
  };
  virtual void send(int to, int tag, const std::string& bytes) = 0;
  /// A message from any rank that has already arrived, or nothing; never waits.
  virtual std::optional<Message> try_receive() = 0;
  /// Waits for the next message from `from` with `tag`. Waiting polls with short sleeps rather
  /// than spinning, so a rank that waits leaves its core to the threads that work.
  virtual std::string receive(int from, int tag) = 0;
  /// Ends every rank of the job with `message` on stderr and a non-zero exit (MPI_Abort);
  /// a rank that failed calls it, so the others do not wait for it forever.
  [[noreturn]] virtual void abort(const std::string& message) = 0;
  /// "mpi" or "threads" or "single".
  virtual const char* backend() const = 0;
};

/// The communicator of this process: MPI's world when launched by mpirun (or srun) and tapegrad was
/// built with MPI, else a world of one rank. Initialises MPI on first use.
Communicator& world();
/// Whether this process was started by an MPI launcher with more than one rank.
bool launched_by_mpi();
/// Whether this build has MPI.
bool have_mpi();

/// `ranks` threads of one process acting as ranks (each with its own tape): for tests and for
/// trying the protocol without MPI. member(r) is used by thread r only.
class ThreadGroup {
 public:
  explicit ThreadGroup(int ranks);
  ~ThreadGroup();
  Communicator& member(int rank);
  int ranks() const;

  struct Shared;  // the barrier and slots the members share (distributed.cpp)

 private:
  std::shared_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Communicator>> members_;
};

struct DataParallelOptions {
  /// Gradients are combined in buckets of about this many bytes (PyTorch DDP's default is 25 MiB;
  /// smaller buckets start communicating earlier in backward).
  std::size_t bucket_bytes = 4u << 20;
  /// Start each bucket's exchange from backward as soon as it is complete (true), or all of them
  /// in synchronize_gradients (false: no overlap; for measuring what the overlap saves).
  bool overlap = true;
};

/// rows_of for rank `rank` of `ranks`: the same on every process, so any rank can tell another's rows.
std::pair<std::int64_t, std::int64_t> rows_of_rank(std::int64_t rows, int rank, int ranks);

/// Data-parallel training of one model on every rank of `comm`.
class DataParallel {
 public:
  /// Broadcasts rank 0's parameters and buffers, so every rank starts identical, and registers
  /// the gradient-ready hooks that start each bucket's exchange during backward.
  DataParallel(nn::Module& model, Communicator& comm, DataParallelOptions options = {});
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  /// This rank's rows [begin, end) of a global batch of `rows` rows: whole subtrees of the batch's
  /// fixed sum tree (Note [Which rows a rank holds]), halves when rows is a power-of-two number of
  /// kBatchSegment segments. Throws tg::Error unless ranks() is a power of two and every rank gets rows.
  std::pair<std::int64_t, std::int64_t> rows_of(std::int64_t rows) const;
  /// The batch split for one step's forward and backward (ops/batch_split.h).
  BatchSplitScope split(std::int64_t rows);
  /// Waits for every bucket and leaves each parameter's gradient the sum over all ranks — bits of
  /// one process. Call after backward, before the optimiser's step.
  void synchronize_gradients();

  Communicator& communicator() const { return comm_; }
  int rank() const { return comm_.rank(); }
  int ranks() const { return comm_.ranks(); }
  bool is_root() const { return comm_.rank() == 0; }
  /// Bytes this rank sent in the last synchronize_gradients.
  std::size_t bytes_sent() const { return bytes_sent_; }
  /// Seconds the last synchronize_gradients waited for communication still in flight.
  double wait_seconds() const { return wait_seconds_; }

 private:
  struct Bucket;
  void start(Bucket& bucket);
  nn::Module& model_;
  Communicator& comm_;
  std::vector<Tensor> params_;
  std::vector<std::unique_ptr<Bucket>> buckets_;
  std::vector<int> hook_handles_;
  std::size_t bytes_sent_ = 0;
  double wait_seconds_ = 0;
  bool overlap_ = true;
};

// ---- for programs: data-parallel under mpirun, as before otherwise ----

/// Whether this process prints and writes files: rank 0 of world(), or the only process.
bool is_root_process();

/// A DataParallel over world() when this process is one of several MPI ranks (launched_by_mpi),
/// else null, so a program trains data-parallel under `mpirun -np R` with no flag. Under MPI it
/// also sets the worker threads, unless OMP_NUM_THREADS says otherwise, to the cores divided by
/// the ranks on this node (OMPI_COMM_WORLD_LOCAL_SIZE), so R ranks do not oversubscribe them.
std::unique_ptr<DataParallel> data_parallel_if_launched(nn::Module& model, DataParallelOptions options = {});

/// One step's forward and backward of loss_of(x, y) on a global batch (x, y): the whole batch
/// when `ddp` is null, else this rank's rows under ddp's split followed by
/// synchronize_gradients. Returns the loss, whose value is the global batch's on every rank.
/// Call the optimiser's zero_grad before and its step after.
template <class LossOf>
Tensor backward_step(DataParallel* ddp, const Tensor& x, const Tensor& y, LossOf&& loss_of) {
  if (!ddp) {
    Tensor loss = loss_of(x, y);
    backward(loss);
    return loss;
  }
  const std::int64_t rows = x.size(0);
  const auto [begin, end] = ddp->rows_of(rows);
  Tensor loss;
  {
    BatchSplitScope split = ddp->split(rows);
    loss = loss_of(x.rows(begin, end), y.rows(begin, end));
    backward(loss);
  }
  ddp->synchronize_gradients();
  return loss;
}

/// Under an MPI launch, sets the worker threads, unless OMP_NUM_THREADS says otherwise, to the
/// cores divided by the ranks on this node (OMPI_COMM_WORLD_LOCAL_SIZE), so R ranks on one node do
/// not oversubscribe its cores. Does nothing outside an MPI launch.
void share_cores_with_local_ranks();
/// The cores of this node divided by the MPI ranks on it (all of them outside an MPI launch).
int cores_per_local_rank();

/// For a program's top-level catch: under an MPI launch with several ranks, ends the whole job
/// with `message` on stderr (Communicator::abort), so no rank waits for a failed one; otherwise
/// returns and the caller reports the error as usual.
void abort_job_if_distributed(const std::string& message);

}  // namespace tg::dist
