// The worker pool of Note [The worker pool] in parallel.h.
//
// Note [When a worker lags]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
// A worker can still be descheduled in the middle of a task it claimed — another process wants
// its core — and the caller then waits for that one task. So the caller times itself: if it waits
// for the others longer than it worked (and longer than kLagFloor), the pool is lagging, and the
// next `backoff_` jobs run on the caller alone; the backoff doubles while lags repeat (up to
// kMaxBackoff jobs) and is reset by a job that does not lag. On a quiet machine the caller and
// the workers finish within a few microseconds of each other and nothing changes; on a machine
// with a core taken, small ops stop paying a scheduler time slice each. Which thread runs a task
// never changes its result, so none of this affects a single bit.
//
// One job at a time. The job's tasks are claimed through one 64-bit word, `claim_`: the job's
// number, its task count and the next unclaimed task, packed so that a worker that wakes late —
// after its job has finished and maybe another has begun — can never claim a task of the wrong
// job: its compare-and-swap fails as soon as the job number differs. A task, once claimed, is
// counted in `done_` when it has run; the caller returns when `done_` reaches the task count.
#include "tensor/parallel.h"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

namespace tg {
namespace {

// claim_ = job (16 bits) | tasks (24 bits) | next (24 bits).
constexpr int kNextBits = 24, kTaskBits = 24;
constexpr std::uint64_t kNextMask = (std::uint64_t{1} << kNextBits) - 1;
constexpr std::uint64_t kTaskMask = (std::uint64_t{1} << kTaskBits) - 1;
constexpr std::int64_t kMaxTasks = std::int64_t{1} << kTaskBits;
std::uint64_t job_of(std::uint64_t c) { return c >> (kNextBits + kTaskBits); }
std::int64_t tasks_of(std::uint64_t c) { return static_cast<std::int64_t>(c >> kNextBits & kTaskMask); }
std::int64_t next_of(std::uint64_t c) { return static_cast<std::int64_t>(c & kNextMask); }

/// How long an idle worker spins before it sleeps, and the caller before it yields.
constexpr auto kSpin = std::chrono::microseconds(20);
/// Note [When a worker lags]: a wait shorter than this is never a lag; the most jobs run serially.
constexpr auto kLagFloor = std::chrono::microseconds(50);
constexpr std::int64_t kMaxBackoff = 1024;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

thread_local bool t_in_task = false;  // inside a task: nested calls run serially

class Pool {
 public:
  ~Pool() {
    stop_.store(true);
    wake_.fetch_add(1);
    wake_.notify_all();
    for (std::thread& w : workers_) w.join();
  }

  /// False when another caller's job is running, or while the pool backs off after a lag (Note
  /// [When a worker lags]): then run serially.
  bool run(std::int64_t tasks, TaskRef task, int threads) {
    if (busy_.test_and_set(std::memory_order_acquire)) return false;
    if (serial_jobs_left_ > 0) {
      --serial_jobs_left_;
      busy_.clear(std::memory_order_release);
      return false;
    }
    grow(threads - 1);
    task_ = &task;
    participants_.store(threads - 1, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    job_ = (job_ + 1) & 0xFFFF;
    claim_.store(job_ << (kNextBits + kTaskBits) | static_cast<std::uint64_t>(tasks) << kNextBits,
                 std::memory_order_release);
    wake_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();
    const auto start = std::chrono::steady_clock::now();
    work(job_);
    // Wait for tasks other threads have claimed; none are unclaimed now.
    const auto worked = std::chrono::steady_clock::now();
    const auto spin_until = worked + kSpin;
    auto now = worked;
    while (done_.load(std::memory_order_acquire) < tasks) {
      if (now < spin_until) cpu_relax();
      else std::this_thread::yield();
      now = std::chrono::steady_clock::now();
    }
    const auto waited = now - worked;
    if (waited > kLagFloor && waited > worked - start) {
      backoff_ = std::min(kMaxBackoff, std::max<std::int64_t>(1, 2 * backoff_));
      serial_jobs_left_ = backoff_;
    } else {
      backoff_ = 0;
    }
    busy_.clear(std::memory_order_release);
    return true;
  }

 private:
  // Claims and runs tasks of `job` until none are left.
  void work(std::uint64_t job) {
    std::uint64_t c = claim_.load(std::memory_order_acquire);
    while (job_of(c) == job && next_of(c) < tasks_of(c)) {
      if (!claim_.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel)) continue;
      t_in_task = true;
      (*task_)(next_of(c));  // task_ is this job's: the job cannot end while one of its tasks is claimed
      t_in_task = false;
      done_.fetch_add(1, std::memory_order_release);
      c = claim_.load(std::memory_order_acquire);
    }
  }

  void worker(int index) {
    std::uint64_t seen = wake_.load();
    while (true) {
      const auto spin_until = std::chrono::steady_clock::now() + kSpin;
      while (wake_.load(std::memory_order_acquire) == seen && std::chrono::steady_clock::now() < spin_until) cpu_relax();
      wake_.wait(seen, std::memory_order_acquire);
      if (stop_.load()) return;
      seen = wake_.load(std::memory_order_acquire);
      if (index < participants_.load(std::memory_order_relaxed))
        work(job_of(claim_.load(std::memory_order_acquire)));
    }
  }

  void grow(int wanted) {
    while (static_cast<int>(workers_.size()) < wanted) {
      const int index = static_cast<int>(workers_.size());
      workers_.emplace_back([this, index] { worker(index); });
    }
  }

  std::vector<std::thread> workers_;  // touched by the caller holding busy_ only
  std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
  std::atomic<std::uint64_t> wake_{0};  // bumped for every job: the futex idle workers sleep on
  std::atomic<std::uint64_t> claim_{0};
  std::atomic<std::int64_t> done_{0};
  std::atomic<int> participants_{0};
  std::atomic<bool> stop_{false};
  const TaskRef* task_ = nullptr;
  std::uint64_t job_ = 0;
  std::int64_t backoff_ = 0, serial_jobs_left_ = 0;  // Note [When a worker lags]; under busy_
};

// The pool lives until the process ends; a forked child (whose copy has no threads) starts afresh.
Pool* g_pool = nullptr;

Pool& pool() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_pool = nullptr; });  // the parent's copy is abandoned
    return true;
  }();
  (void)registered;
  if (!g_pool) g_pool = new Pool();  // never destroyed: workers may still be asleep at exit
  return *g_pool;
}

}  // namespace

void run_tasks(std::int64_t tasks, TaskRef task, int threads) {
  threads = static_cast<int>(std::min<std::int64_t>(threads, tasks));
  if (tasks > 0 && threads > 1 && tasks < kMaxTasks && !t_in_task && pool().run(tasks, task, threads)) return;
  for (std::int64_t i = 0; i < tasks; ++i) task(i);
}

}  // namespace tg
