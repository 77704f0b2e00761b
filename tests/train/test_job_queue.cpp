// run_jobs (train/job_queue.h) with threads as ranks: every job runs once, its result reaches
// rank 0, a slow rank takes fewer jobs (the handout is dynamic), and a failing job is reported.
// tests/tools/test_uci_benchmark.py runs it under mpirun, through uci_benchmark.
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "support.h"
#include "train/job_queue.h"

using namespace tg;

namespace {

// Runs `jobs` jobs over `ranks` threads-as-ranks with `threads` workers each; returns, for each job,
// the rank that ran it (as rank 0 received it), and checks that each result arrived once.
std::map<std::int64_t, int> run_on_threads(int ranks, int threads, std::int64_t jobs,
                                           std::chrono::milliseconds pause = {},
                                           std::chrono::milliseconds slow_rank_pause = {}) {
  dist::ThreadGroup group(ranks);
  std::map<std::int64_t, int> ran_on;
  std::int64_t calls = 0;
  auto body = [&](int rank) {
    dist::run_jobs(
        group.member(rank), jobs, threads,
        [&, rank](std::int64_t job) {
          std::this_thread::sleep_for(rank == ranks - 1 && ranks > 1 ? slow_rank_pause : pause);
          return cat(job * job, " from ", rank);
        },
        [&](std::int64_t job, const std::string& result) {  // rank 0, one call at a time
          ++calls;
          const auto space = result.find(' ');
          CHECK(result.substr(0, space) == std::to_string(job * job));
          CHECK(ran_on.emplace(job, std::stoi(result.substr(result.rfind(' ') + 1))).second);
        });
  };
  std::vector<std::thread> pool;
  for (int r = 1; r < ranks; ++r) pool.emplace_back(body, r);
  body(0);
  for (std::thread& t : pool) t.join();
  CHECK(calls == jobs);
  return ran_on;
}

}  // namespace

TEST_CASE("run_jobs runs every job once and brings every result to rank 0") {
  for (int ranks : {1, 2, 3}) {
    for (int threads : {1, 2}) {
      for (std::int64_t jobs : {0, 1, 5, 64}) {
        INFO(ranks << " ranks, " << threads << " threads, " << jobs << " jobs");
        const auto ran_on = run_on_threads(ranks, threads, jobs);
        REQUIRE(static_cast<std::int64_t>(ran_on.size()) == jobs);
        for (std::int64_t j = 0; j < jobs; ++j) CHECK(ran_on.contains(j));
      }
    }
  }
}

TEST_CASE("run_jobs hands jobs out dynamically: a slow rank takes fewer") {
  // Rank 2 needs 50 ms a job, ranks 0 and 1 need 1 ms: they take almost all of the 300 jobs (about
  // 150 ms of work each), while rank 2 gets a few; every rank asks within that time and gets one.
  const auto ran_on = run_on_threads(3, 1, 300, std::chrono::milliseconds(1), std::chrono::milliseconds(50));
  std::map<int, int> per_rank;
  for (const auto& [job, rank] : ran_on) ++per_rank[rank];
  INFO("jobs per rank: 0: " << per_rank[0] << ", 1: " << per_rank[1] << ", 2: " << per_rank[2]);
  CHECK(per_rank[1] >= 1);
  CHECK(per_rank[2] >= 1);
  CHECK(per_rank[2] < 30);
  CHECK(per_rank[0] + per_rank[1] > 270);
}

TEST_CASE("run_jobs in one rank stops handing out jobs after a failure and throws its message") {
  dist::ThreadGroup group(1);
  std::mutex mutex;
  std::int64_t ran = 0;
  auto run = [&](std::int64_t job) -> std::string {
    {
      std::lock_guard lock(mutex);
      ++ran;
    }
    if (job == 3) throw Error("job 3 fails on purpose");
    return "ok";
  };
  CHECK_THROWS_WITH(dist::run_jobs(group.member(0), 100, 1, run, [](std::int64_t, const std::string&) {}),
                    Catch::Contains("job 3 fails on purpose"));
  CHECK(ran == 4);  // one worker: jobs 0, 1, 2 and the failing 3, none after

  // A done() that throws (a results file that cannot be written) ends the run the same way.
  CHECK_THROWS_WITH(dist::run_jobs(group.member(0), 10, 2, [](std::int64_t) { return std::string("x"); },
                                   [](std::int64_t, const std::string&) { throw Error("disk full"); }),
                    Catch::Contains("disk full"));
}

TEST_CASE("run_jobs rejects bad arguments") {
  dist::ThreadGroup group(1);
  auto run = [](std::int64_t) { return std::string(); };
  auto done = [](std::int64_t, const std::string&) {};
  CHECK_THROWS_WITH(dist::run_jobs(group.member(0), 5, 0, run, done), Catch::Contains("threads must be at least 1"));
  CHECK_THROWS_WITH(dist::run_jobs(group.member(0), -1, 1, run, done), Catch::Contains("-1 jobs"));
}

TEST_CASE("Threads as ranks pass point-to-point messages by sender and tag") {
  dist::ThreadGroup group(2);
  dist::Communicator& a = group.member(0);
  dist::Communicator& b = group.member(1);
  a.send(1, 5, "hello");
  a.send(1, 6, "second tag");
  a.send(1, 5, "again");
  CHECK(b.receive(0, 6) == "second tag");  // by tag, out of arrival order
  CHECK(b.receive(0, 5) == "hello");       // one tag's messages in the order sent
  const auto m = b.try_receive();
  REQUIRE(m.has_value());
  CHECK((m->from == 0 && m->tag == 5 && m->bytes == "again"));
  CHECK(!b.try_receive().has_value());
  CHECK_THROWS_WITH(a.send(2, 0, ""), Catch::Contains("send to rank 2 of 2"));
}
