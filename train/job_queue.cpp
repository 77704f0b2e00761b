// run_jobs: rank 0 hands out job numbers; the other ranks ask for them (job_queue.h).
#include "train/job_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "tensor/error.h"

namespace tg::dist {
namespace {

constexpr int kAsk = 7101;   // to rank 0: the asking worker's last job number (or kNone) and its result
constexpr int kGive = 7102;  // from rank 0: the next job number, or kNone
constexpr std::int64_t kNone = -1, kFailed = -2;

std::string message(std::int64_t job, const std::string& body = {}) {
  std::string bytes(sizeof job, '\0');
  std::memcpy(bytes.data(), &job, sizeof job);
  return bytes + body;
}

std::int64_t job_of(const std::string& bytes) {
  check(bytes.size() >= sizeof(std::int64_t), "run_jobs: a message of ", bytes.size(), " bytes has no job number");
  std::int64_t job = 0;
  std::memcpy(&job, bytes.data(), sizeof job);
  return job;
}

// The first failure of any thread; later ones are dropped.
class Failure {
 public:
  void record(std::string what) {
    std::lock_guard lock(mutex_);
    if (!failed_.exchange(true)) message_ = std::move(what);
  }
  bool failed() const { return failed_; }
  std::string message() {
    std::lock_guard lock(mutex_);
    return message_;
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::string message_;
};

void serve(Communicator& comm, std::int64_t jobs, int threads, const std::function<std::string(std::int64_t)>& run,
           const std::function<void(std::int64_t, const std::string&)>& done) {
  Failure failure;
  std::atomic<std::int64_t> next{0};
  std::mutex done_mutex;
  auto take = [&]() -> std::int64_t {
    if (failure.failed()) return kNone;
    const std::int64_t job = next.fetch_add(1);
    return job < jobs ? job : kNone;
  };
  auto finish = [&](std::int64_t job, const std::string& result) {
    std::lock_guard lock(done_mutex);
    done(job, result);
  };
  auto worker = [&] {
    for (std::int64_t job = take(); job != kNone; job = take()) {
      try {
        finish(job, run(job));
      } catch (const std::exception& e) {
        failure.record(e.what());
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  // Note [Who talks to MPI]: the other ranks' workers, until each has been told that none is left.
  std::int64_t asking = static_cast<std::int64_t>(comm.ranks() - 1) * threads;
  for (int pause_us = 20; asking > 0;) {
    if (failure.failed()) comm.abort(failure.message());  // several ranks: end them all, jobs in flight too
    std::optional<Communicator::Message> m = comm.try_receive();
    if (!m) {
      std::this_thread::sleep_for(std::chrono::microseconds(pause_us));
      pause_us = std::min(2000, 2 * pause_us);
      continue;
    }
    pause_us = 20;
    check(m->tag == kAsk, "run_jobs: rank 0 got a message with tag ", m->tag, " from rank ", m->from);
    const std::int64_t finished = job_of(m->bytes);
    if (finished == kFailed) comm.abort(cat("rank ", m->from, ": ", m->bytes.substr(sizeof finished)));
    if (finished != kNone) {
      check(finished >= 0 && finished < jobs, "run_jobs: rank ", m->from, " returned job ", finished, " of ", jobs);
      try {
        finish(finished, m->bytes.substr(sizeof finished));
      } catch (const std::exception& e) {
        comm.abort(e.what());
      }
    }
    const std::int64_t job = take();
    comm.send(m->from, kGive, message(job));
    if (job == kNone) --asking;
  }
  for (std::thread& t : pool) t.join();
  if (failure.failed()) throw Error(failure.message());
}

void ask(Communicator& comm, int threads, const std::function<std::string(std::int64_t)>& run) {
  struct Slot {
    std::int64_t job = kNone;
    bool answered = false;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::pair<int, std::string>> requests;  // (worker, request), for the calling thread to send
  std::vector<Slot> slots(static_cast<std::size_t>(threads));
  auto worker = [&](int w) {
    Slot& slot = slots[static_cast<std::size_t>(w)];
    std::string request = message(kNone);
    for (;;) {
      std::int64_t job = kNone;
      {
        std::unique_lock lock(mutex);
        requests.emplace_back(w, std::move(request));
        changed.notify_all();
        changed.wait(lock, [&] { return slot.answered; });
        slot.answered = false;
        job = slot.job;
      }
      if (job == kNone) return;
      try {
        request = message(job, run(job));
      } catch (const std::exception& e) {
        request = message(kFailed, e.what());  // rank 0 ends the job on it
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (int finished = 0; finished < threads;) {
    std::pair<int, std::string> request;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return !requests.empty(); });
      request = std::move(requests.front());
      requests.pop_front();
    }
    comm.send(0, kAsk, request.second);
    const std::int64_t job = job_of(comm.receive(0, kGive));
    {
      std::lock_guard lock(mutex);
      slots[static_cast<std::size_t>(request.first)] = {.job = job, .answered = true};
      changed.notify_all();
    }
    if (job == kNone) ++finished;
  }
  for (std::thread& t : pool) t.join();
}

}  // namespace

void run_jobs(Communicator& comm, std::int64_t jobs, int threads, const std::function<std::string(std::int64_t)>& run,
              const std::function<void(std::int64_t, const std::string&)>& done) {
  check(jobs >= 0, "run_jobs: ", jobs, " jobs");
  check(threads >= 1, "run_jobs: threads must be at least 1, not ", threads);
  if (comm.rank() == 0)
    serve(comm, jobs, threads, run, done);
  else
    ask(comm, threads, run);
}

}  // namespace tg::dist
