// tg::dist: the communicators (one rank, threads, MPI) and DataParallel (distributed.h).
#include "train/distributed.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "autograd/tape.h"
#include "tensor/parallel.h"

#if TG_HAVE_MPI
#include <mpi.h>
#endif

namespace tg::dist {
namespace {

// ---- one rank ----

class Single final : public Communicator {
 public:
  int rank() const override { return 0; }
  int ranks() const override { return 1; }
  void allgather(const float* local, float* all, std::int64_t count) override { std::copy(local, local + count, all); }
  void allgather(const double* local, double* all, std::int64_t count) override { std::copy(local, local + count, all); }
  void broadcast(void*, std::size_t, int) override {}
  void barrier() override {}
  struct Done final : Pending {
    void finish() override {}
  };
  std::unique_ptr<Pending> start_allgather(const float* local, float* all, std::int64_t count) override {
    allgather(local, all, count);
    return std::make_unique<Done>();
  }
  std::unique_ptr<Pending> start_allgather(const double* local, double* all, std::int64_t count) override {
    allgather(local, all, count);
    return std::make_unique<Done>();
  }
  void send(int to, int, const std::string&) override {
    throw Error(cat("dist: send to rank ", to, " in a world of one rank"));
  }
  std::optional<Message> try_receive() override { return std::nullopt; }
  std::string receive(int from, int) override {
    throw Error(cat("dist: receive from rank ", from, " in a world of one rank (it would wait forever)"));
  }
  [[noreturn]] void abort(const std::string& message) override {
    std::fprintf(stderr, "%s\n", message.c_str());
    std::_Exit(1);
  }
  const char* backend() const override { return "single"; }
};

#if TG_HAVE_MPI
// ---- MPI ----

void mpi_check(int status, const char* what) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error(cat("dist: ", what, " failed: ", std::string(text, static_cast<std::size_t>(length))));
}

template <class T>
MPI_Datatype mpi_type() {
  return sizeof(T) == 4 ? MPI_FLOAT : MPI_DOUBLE;
}

class Mpi final : public Communicator {
 public:
  Mpi() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      std::atexit([] {
        int finalised = 0;
        MPI_Finalized(&finalised);
        if (!finalised) MPI_Finalize();
      });
    }
    // Our own communicator, whose errors come back as codes (then tg::Error) instead of aborting
    // the process without a word.
    MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &ranks_);
  }
  int rank() const override { return rank_; }
  int ranks() const override { return ranks_; }
  void allgather(const float* local, float* all, std::int64_t count) override { gather(local, all, count); }
  void allgather(const double* local, double* all, std::int64_t count) override { gather(local, all, count); }
  void broadcast(void* data, std::size_t bytes, int root) override {
    mpi_check(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, root, comm_), "MPI_Bcast");
  }
  void barrier() override { mpi_check(MPI_Barrier(comm_), "MPI_Barrier"); }

  struct Request final : Pending {
    MPI_Request request = MPI_REQUEST_NULL;
    void finish() override { mpi_check(MPI_Wait(&request, MPI_STATUS_IGNORE), "MPI_Wait"); }
  };
  std::unique_ptr<Pending> start_allgather(const float* local, float* all, std::int64_t count) override {
    return start(local, all, count);
  }
  std::unique_ptr<Pending> start_allgather(const double* local, double* all, std::int64_t count) override {
    return start(local, all, count);
  }
  void send(int to, int tag, const std::string& bytes) override {
    check(to >= 0 && to < ranks_ && tag >= 0, "dist: send to rank ", to, " of ", ranks_, " with tag ", tag);
    mpi_check(MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to, tag, comm_), "MPI_Send");
  }
  std::optional<Message> try_receive() override { return probe(MPI_ANY_SOURCE, MPI_ANY_TAG); }
  std::string receive(int from, int tag) override {
    // Open MPI's blocking receive spins on its core; a rank that waits here has threads that work.
    for (int pause_us = 20;; pause_us = std::min(2000, 2 * pause_us)) {
      if (std::optional<Message> m = probe(from, tag)) return std::move(m->bytes);
      std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
    }
  }
  [[noreturn]] void abort(const std::string& message) override {
    std::fprintf(stderr, "rank %d of %d: %s\n", rank_, ranks_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  }
  const char* backend() const override { return "mpi"; }

 private:
  template <class T>
  void gather(const T* local, T* all, std::int64_t count) {
    mpi_check(MPI_Allgather(local, static_cast<int>(count), mpi_type<T>(), all, static_cast<int>(count), mpi_type<T>(),
                            comm_),
              "MPI_Allgather");
  }
  template <class T>
  std::unique_ptr<Pending> start(const T* local, T* all, std::int64_t count) {
    auto r = std::make_unique<Request>();
    mpi_check(MPI_Iallgather(local, static_cast<int>(count), mpi_type<T>(), all, static_cast<int>(count),
                             mpi_type<T>(), comm_, &r->request),
              "MPI_Iallgather");
    return r;
  }
  std::optional<Message> probe(int from, int tag) {
    int arrived = 0;
    MPI_Status status;
    mpi_check(MPI_Iprobe(from, tag, comm_, &arrived, &status), "MPI_Iprobe");
    if (!arrived) return std::nullopt;
    int bytes = 0;
    mpi_check(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
    Message m{.from = status.MPI_SOURCE, .tag = status.MPI_TAG, .bytes = std::string(static_cast<std::size_t>(bytes), '\0')};
    mpi_check(MPI_Recv(m.bytes.data(), bytes, MPI_BYTE, m.from, m.tag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
    return m;
  }
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, ranks_ = 1;
};
#endif

}  // namespace

bool have_mpi() { return TG_HAVE_MPI != 0; }

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"})
    if (const char* v = std::getenv(name); v && std::atoi(v) > 1) return true;
  return false;
}

Communicator& world() {
#if TG_HAVE_MPI
  if (launched_by_mpi()) {
    static Mpi mpi;
    return mpi;
  }
#else
  check(!launched_by_mpi(), "dist: this process was started by an MPI launcher, but tapegrad was built without MPI "
                            "(install libopenmpi-dev and rebuild)");
#endif
  static Single single;
  return single;
}

// ---- threads as ranks ----

struct ThreadGroup::Shared {
  explicit Shared(int n) : ranks(n), slots(static_cast<std::size_t>(n)) {}
  const int ranks;
  std::mutex mutex;
  std::condition_variable changed;
  std::int64_t arrived = 0, generation = 0;
  std::vector<const void*> slots;  // each rank's contribution for the collective under way
  std::vector<std::deque<Communicator::Message>> inboxes{static_cast<std::size_t>(ranks)};  // point to point

  // Every rank deposits `mine` and waits for all; then read(slots) runs on each rank; a second
  // barrier keeps the slots valid until every rank has read them.
  template <class Read>
  void exchange(int rank, const void* mine, Read&& read) {
    {
      std::unique_lock lock(mutex);
      slots[static_cast<std::size_t>(rank)] = mine;
      wait_all(lock);
    }
    read(slots);
    std::unique_lock lock(mutex);
    wait_all(lock);
  }
  void wait_all(std::unique_lock<std::mutex>& lock) {
    const std::int64_t g = generation;
    if (++arrived == ranks) {
      arrived = 0;
      ++generation;
      changed.notify_all();
    } else {
      changed.wait(lock, [&] { return generation != g; });
    }
  }
};

namespace {
class ThreadMember final : public Communicator {
 public:
  ThreadMember(std::shared_ptr<ThreadGroup::Shared> shared, int rank) : shared_(std::move(shared)), rank_(rank) {}
  int rank() const override { return rank_; }
  int ranks() const override { return shared_->ranks; }
  void allgather(const float* local, float* all, std::int64_t count) override { gather(local, all, count); }
  void allgather(const double* local, double* all, std::int64_t count) override { gather(local, all, count); }
  void broadcast(void* data, std::size_t bytes, int root) override {
    shared_->exchange(rank_, data, [&](const std::vector<const void*>& slots) {
      if (rank_ != root) std::memcpy(data, slots[static_cast<std::size_t>(root)], bytes);
    });
  }
  void barrier() override {
    shared_->exchange(rank_, nullptr, [](const std::vector<const void*>&) {});
  }
  struct Done final : Pending {
    void finish() override {}
  };
  std::unique_ptr<Pending> start_allgather(const float* local, float* all, std::int64_t count) override {
    gather(local, all, count);
    return std::make_unique<Done>();
  }
  std::unique_ptr<Pending> start_allgather(const double* local, double* all, std::int64_t count) override {
    gather(local, all, count);
    return std::make_unique<Done>();
  }
  void send(int to, int tag, const std::string& bytes) override {
    check(to >= 0 && to < shared_->ranks && tag >= 0, "dist: send to rank ", to, " of ", shared_->ranks, " with tag ",
          tag);
    std::lock_guard lock(shared_->mutex);
    shared_->inboxes[static_cast<std::size_t>(to)].push_back({.from = rank_, .tag = tag, .bytes = bytes});
    shared_->changed.notify_all();
  }
  std::optional<Message> try_receive() override {
    std::lock_guard lock(shared_->mutex);
    auto& inbox = shared_->inboxes[static_cast<std::size_t>(rank_)];
    if (inbox.empty()) return std::nullopt;
    Message m = std::move(inbox.front());
    inbox.pop_front();
    return m;
  }
  std::string receive(int from, int tag) override {
    std::unique_lock lock(shared_->mutex);
    auto& inbox = shared_->inboxes[static_cast<std::size_t>(rank_)];
    for (;;) {
      const auto it = std::find_if(inbox.begin(), inbox.end(), [&](const Message& m) { return m.from == from && m.tag == tag; });
      if (it != inbox.end()) {
        std::string bytes = std::move(it->bytes);
        inbox.erase(it);
        return bytes;
      }
      shared_->changed.wait(lock);
    }
  }
  [[noreturn]] void abort(const std::string& message) override {
    std::fprintf(stderr, "thread rank %d: %s\n", rank_, message.c_str());
    std::_Exit(1);
  }
  const char* backend() const override { return "threads"; }

 private:
  template <class T>
  void gather(const T* local, T* all, std::int64_t count) {
    shared_->exchange(rank_, local, [&](const std::vector<const void*>& slots) {
      for (std::size_t r = 0; r < slots.size(); ++r)
        std::copy(static_cast<const T*>(slots[r]), static_cast<const T*>(slots[r]) + count, all + r * count);
    });
  }
  std::shared_ptr<ThreadGroup::Shared> shared_;
  int rank_;
};
}  // namespace

ThreadGroup::ThreadGroup(int ranks) : shared_(std::make_shared<Shared>(ranks)) {
  check(ranks >= 1, "ThreadGroup: ranks must be at least 1, got ", ranks);
  for (int r = 0; r < ranks; ++r) members_.push_back(std::make_unique<ThreadMember>(shared_, r));
}
ThreadGroup::~ThreadGroup() = default;
Communicator& ThreadGroup::member(int rank) { return *members_.at(static_cast<std::size_t>(rank)); }
int ThreadGroup::ranks() const { return shared_->ranks; }

// ---- DataParallel ----

// Note [Gradient buckets]
// ~~~~~~~~~~~~~~~~~~~~~~~
// Parameters are grouped, in reverse order of registration (the order backward completes their
// gradients in a feed-forward net), into buckets of about bucket_bytes of one dtype. A gradient
// hook (autograd/tape.h) copies each finished gradient into its bucket's send buffer; the bucket
// whose last gradient arrives starts its allgather at once, so communication overlaps the rest of
// backward. synchronize_gradients waits for every bucket and, for each parameter, adds the ranks'
// subtree sums as the fixed tree's upper levels — the same additions on every rank, in rank order
// — into the gradient. An allgather rather than an allreduce: MPI's reductions do not promise an
// order, and a fixed order is what gives one process's bits.
struct DataParallel::Bucket {
  DType dtype;
  std::vector<std::size_t> params;  // indices into params_
  std::vector<std::int64_t> offsets;  // each parameter's first element in the buffer
  std::int64_t count = 0;           // elements
  Tensor send, receive;             // [count] and [ranks · count]
  std::size_t ready = 0;            // gradients copied in this step
  std::unique_ptr<Communicator::Pending> pending;
};

DataParallel::DataParallel(nn::Module& model, Communicator& comm, DataParallelOptions options)
    : model_(model), comm_(comm), params_(model.parameters()), overlap_(options.overlap) {
  // Every rank starts from rank 0's parameters and buffers, whatever its own seed made.
  for (const Tensor& t : params_) comm_.broadcast(t.raw_data(), static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()), 0);
  for (auto& [name, t] : model_.named_buffers())
    comm_.broadcast(t.raw_data(), static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()), 0);
  // Buckets, last parameter first (Note [Gradient buckets]).
  for (std::size_t k = params_.size(); k-- > 0;) {
    const Tensor& p = params_[k];
    const std::size_t bytes = static_cast<std::size_t>(p.numel()) * dtype_size(p.dtype());
    if (buckets_.empty() || buckets_.back()->dtype != p.dtype() ||
        static_cast<std::size_t>(buckets_.back()->count) * dtype_size(p.dtype()) + bytes > options.bucket_bytes) {
      if (!buckets_.empty() && buckets_.back()->params.empty()) buckets_.pop_back();
      buckets_.push_back(std::make_unique<Bucket>());
      buckets_.back()->dtype = p.dtype();
    }
    Bucket& b = *buckets_.back();
    b.params.push_back(k);
    b.offsets.push_back(b.count);
    b.count += p.numel();
  }
  for (auto& b : buckets_) {
    b->send = empty({b->count}, b->dtype);
    b->receive = empty({b->count * comm_.ranks()}, b->dtype);
  }
  for (auto& bucket : buckets_) {
    Bucket* b = bucket.get();
    for (std::size_t i = 0; i < b->params.size(); ++i) {
      const std::int64_t offset = b->offsets[i];
      hook_handles_.push_back(register_gradient_hook(params_[b->params[i]], [this, b, offset](const Tensor& g) {
        const std::size_t bytes = static_cast<std::size_t>(g.defined() ? g.numel() : 0) * dtype_size(b->dtype);
        char* dst = static_cast<char*>(b->send.raw_data()) + static_cast<std::size_t>(offset) * dtype_size(b->dtype);
        if (g.defined()) std::memcpy(dst, g.raw_data(), bytes);
        else check(false, "DataParallel: a parameter got no gradient in this backward");
        if (++b->ready == b->params.size() && overlap_) start(*b);
      }));
    }
  }
}

DataParallel::~DataParallel() {
  for (int h : hook_handles_) remove_gradient_hook(h);
}

void DataParallel::start(Bucket& b) {
  dispatch(b.dtype, "DataParallel", [&]<class T>() {
    b.pending = comm_.start_allgather(b.send.data<T>(), b.receive.data<T>(), b.count);
  });
}

// Note [Which rows a rank holds]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// One process sums n segments (Note [Batch sums in a fixed tree]) as Left + Right: with n a
// power of two, Left and Right are the two halves; otherwise Left is the first 2^⌊log₂ n⌋
// segments (a full tree) and Right the rest, whose sum is the same rule applied to its own
// segments (the stack folds from the right). The ranks combine their sums as
// (first half of the ranks) + (second half), so the first half of the ranks takes Left, the
// second half Right, recursively, until one rank holds one part. Equal halves are the usual
// case (a batch of 128 on 2 ranks: 64 and 64); a batch whose segment count is not a power of
// two splits unevenly (96 rows on 2 ranks: 64 and 32) — an even split (48 and 48) would sum in
// another order. The last segment may be short; it belongs to the last rank.
namespace {
// Segments [first, last) of the tree for `rank` (Note [Which rows a rank holds]); empty when the
// batch has too few segments to give that rank any.
std::pair<std::int64_t, std::int64_t> segments_of(std::int64_t segments, int rank, int ranks) {
  std::int64_t lo = 0, hi = segments;
  int first = 0;
  for (int k = ranks; k > 1; k /= 2) {
    const std::int64_t n = hi - lo;
    if (n < 2) return rank == first ? std::pair{lo, hi} : std::pair{lo, lo};  // one segment, several ranks
    std::int64_t left = std::int64_t{1} << (63 - __builtin_clzll(static_cast<unsigned long long>(n)));
    if (left == n) left = n / 2;
    if (rank < first + k / 2) hi = lo + left;
    else lo += left, first += k / 2;
  }
  return {lo, hi};
}
}  // namespace

std::pair<std::int64_t, std::int64_t> rows_of_rank(std::int64_t rows, int rank, int ranks) {
  check(ranks >= 1 && (ranks & (ranks - 1)) == 0, "DataParallel: ", ranks,
        " ranks: data-parallel training needs a power of two");
  check(rows >= 1, "DataParallel: a global batch of ", rows, " rows");
  const std::int64_t segments = (rows + kBatchSegment - 1) / kBatchSegment;
  // Checked for every rank, so all of them throw alike.
  for (int r = 0; r < ranks; ++r) {
    const auto [lo, hi] = segments_of(segments, r, ranks);
    check(hi > lo, "DataParallel: a global batch of ", rows, " rows (", segments, " ", kBatchSegment,
          "-row segments) is too small for ", ranks, " ranks: each rank needs whole subtrees of the batch's sum "
          "(Note [Which rows a rank holds]); use a larger batch or fewer ranks");
  }
  const auto [lo, hi] = segments_of(segments, rank, ranks);
  return {lo * kBatchSegment, std::min(rows, hi * kBatchSegment)};
}

std::pair<std::int64_t, std::int64_t> DataParallel::rows_of(std::int64_t rows) const {
  return rows_of_rank(rows, comm_.rank(), comm_.ranks());
}

BatchSplitScope DataParallel::split(std::int64_t rows) {
  for (const Tensor& p : params_)
    check(!p.grad().defined(), "DataParallel: a parameter already has a gradient: call zero_grad before each step's "
                               "backward (gradients are combined per backward pass)");
  for (auto& b : buckets_) b->ready = 0;
  return BatchSplitScope(BatchSplit{rows, rows_of(rows).first, &comm_});
}

void DataParallel::synchronize_gradients() {
  const auto start_wait = std::chrono::steady_clock::now();
  bytes_sent_ = 0;
  const int ranks = comm_.ranks();
  for (auto& bucket : buckets_) {
    Bucket& b = *bucket;
    check(b.ready == b.params.size(), "DataParallel: synchronize_gradients without a backward whose gradients reached "
                                      "every parameter (", b.ready, " of ", b.params.size(), " in a bucket)");
    if (!b.pending) start(b);  // no overlap: every bucket starts now
    b.pending->finish();
    b.pending.reset();
    bytes_sent_ += static_cast<std::size_t>(b.count) * dtype_size(b.dtype) * static_cast<std::size_t>(ranks - 1);
    dispatch(b.dtype, "DataParallel", [&]<class T>() {
      T* all = b.receive.data<T>();
      // The fixed tree's upper levels over the ranks' subtrees (as combine_across_ranks).
      for (int width = 1; width < ranks; width *= 2)
        for (int r = 0; r < ranks; r += 2 * width) {
          T* left = all + r * b.count;
          const T* right = all + (r + width) * b.count;
          parallel_for(b.count, [&](std::int64_t i0, std::int64_t i1) {
            for (std::int64_t i = i0; i < i1; ++i) left[i] = left[i] + right[i];
          });
        }
      for (std::size_t i = 0; i < b.params.size(); ++i) {
        const Tensor g = params_[b.params[i]].grad();
        std::copy(all + b.offsets[i], all + b.offsets[i] + g.numel(), g.data<T>());
      }
    });
  }
  wait_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_wait).count();
}

bool is_root_process() { return world().rank() == 0; }

std::unique_ptr<DataParallel> data_parallel_if_launched(nn::Module& model, DataParallelOptions options) {
  if (!launched_by_mpi()) return nullptr;
  Communicator& comm = world();
  if (comm.ranks() == 1) return nullptr;
  share_cores_with_local_ranks();
  return std::make_unique<DataParallel>(model, comm, options);
}

int cores_per_local_rank() {
  const char* local = launched_by_mpi() ? std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE") : nullptr;
  const int per_node = local ? std::max(1, std::atoi(local)) : 1;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / per_node);
}

void share_cores_with_local_ranks() {
  if (!launched_by_mpi() || std::getenv("OMP_NUM_THREADS")) return;
  set_num_threads(cores_per_local_rank());
}

void abort_job_if_distributed(const std::string& message) {
  if (launched_by_mpi() && have_mpi()) world().abort(message);
}

}  // namespace tg::dist
