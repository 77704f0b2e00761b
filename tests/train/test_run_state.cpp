// ResumableRun (train/run_state.h): text arrays, the argument check, the refusal to overwrite an
// unfinished run, save → restore, orphaned temporaries; MetricsLog::csv/restore. The programs'
// kill-and-resume test is tests/examples/resume_after_kill.py.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "nn/layers.h"
#include "optim/sgd.h"
#include "tensor/atomic_file.h"
#include "train/metrics_log.h"
#include "train/run_state.h"
#include "support.h"

using namespace tg;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void touch(const std::string& path) { std::ofstream(path) << "partial"; }

}  // namespace

TEST_CASE("text_tensor round-trips any text and rejects arrays that are not text") {
  for (const std::string& text : {std::string(), std::string("a"), std::string("12345678"), std::string("x\0y\n\t,", 6),
                                 std::string(1001, 'q')})
    CHECK(optim::text_from_tensor(optim::text_tensor(text), "t") == text);
  CHECK_THROWS_WITH(optim::text_from_tensor(labels({3, 0, 0}), "'log/x'"), Catch::Contains("'log/x'"));
  CHECK_THROWS_AS(optim::text_from_tensor(labels({-1}), "t"), Error);
  CHECK_THROWS_AS(optim::text_from_tensor(zeros({2}), "t"), Error);
  CHECK(optim::exact(0.1) == "0.10000000000000001");
}

TEST_CASE("ResumableRun saves and restores a model, optimizer, counters, generators and extras") {
  const TempDir dir;
  const optim::RunArguments args{{"--epochs", "3"}, {"--lr", optim::exact(0.02)}};
  Generator gen(4);
  nn::Linear model(3, 2, gen);
  optim::SGD sgd(model.parameters(), {.lr = 0.02, .momentum = 0.9});
  {
    const optim::ResumableRun run("prog", dir.path(), args, false);
    CHECK_FALSE(run.resumed());
    run.save(model, &sgd,
             {.epoch = 2, .step = 7, .seed = 1, .generators = {{"flip", Generator(9, 33)}},
              .metrics = {{"seconds", 1.5}}, .extras = {{"log/csv", optim::text_tensor("a,b\n1,2\n")}}});
  }
  SECTION("--resume with the same arguments gets everything back") {
    Generator other(5);
    nn::Linear fresh(3, 2, other);
    optim::SGD fresh_sgd(fresh.parameters(), {.lr = 0.02, .momentum = 0.9});
    const optim::ResumableRun run("prog", dir.path(), args, true);
    REQUIRE(run.resumed());
    const optim::TrainingState state = run.restore(fresh, &fresh_sgd);
    CHECK(state.epoch == 2);
    CHECK(state.step == 7);
    REQUIRE(state.generators.size() == 1);
    CHECK(state.generators[0].second.offset() == 33);
    CHECK(run.text("log/csv") == "a,b\n1,2\n");
    CHECK(fresh.weight.to_vector() == model.weight.to_vector());
    CHECK_THROWS_WITH(run.array("log/none"), Catch::Contains("'log/none' is missing"));
    run.finish();
    CHECK_FALSE(fs::exists(dir / "resume.npz"));
  }
  SECTION("without --resume, an unfinished run is refused and --resume suggested") {
    CHECK_THAT(error_of([&] { optim::ResumableRun("prog", dir.path(), args, false); }),
               Catch::Contains("unfinished run") && Catch::Contains("--resume"));
    CHECK(fs::exists(dir / "resume.npz"));
  }
  SECTION("other arguments are refused, each named with both values") {
    const std::string message = error_of([&] {
      optim::ResumableRun("prog", dir.path(), {{"--epochs", "4"}, {"--lr", optim::exact(0.02)}, {"--new", "1"}}, true);
    });
    CHECK_THAT(message, Catch::Contains("--epochs was 3, now 4") && Catch::Contains("--new was (not recorded), now 1"));
    CHECK_THAT(message, !Catch::Contains("--lr"));
    CHECK_THAT(error_of([&] { optim::ResumableRun("prog", dir.path(), {{"--epochs", "3"}}, true); }),
               Catch::Contains("--lr was 0.02"));
  }
  SECTION("another program's run is refused") {
    CHECK_THAT(error_of([&] { optim::ResumableRun("other", dir.path(), args, true); }),
               Catch::Contains("prog's, not other's"));
  }
}

TEST_CASE("ResumableRun removes the temporaries of dead writers and leaves a live writer's") {
  const TempDir dir;
  touch(dir / "resume.npz.tmp.999999999");  // above any pid_max: no such process
  touch(dir / "metrics.csv.tmp.999999998");
  const std::string live = dir / cat("trace.csv.tmp.", ::getpid());
  touch(live);
  touch(dir / "notes.tmp.txt");  // not a temporary's name
  const optim::ResumableRun run("prog", dir.path(), {}, false);
  CHECK(run.removed_temporaries() ==
        std::vector<std::string>{dir / "metrics.csv.tmp.999999998", dir / "resume.npz.tmp.999999999"});
  CHECK(dir.entries() == std::vector<std::string>{"notes.tmp.txt", fs::path(live).filename().string()});
}

TEST_CASE("MetricsLog::restore takes back the rows of csv() and checks the header") {
  const TempDir dir;
  optim::MetricsLog log(dir / "m.csv", {"epoch", "loss"});
  log.auto_flush = false;
  log.record({"1", "0.5"});
  log.record({"2", ""});
  optim::MetricsLog again(dir / "m.csv", {"epoch", "loss"});
  again.restore(log.csv());
  CHECK(again.csv() == "epoch,loss\n1,0.5\n2,\n");
  optim::MetricsLog other(dir / "o.csv", {"epoch", "lr"});
  CHECK_THROWS_WITH(other.restore(log.csv()), Catch::Contains("header"));
  CHECK_THROWS_WITH(again.restore("epoch,loss\n1"), Catch::Contains("newline"));
  CHECK_THROWS_WITH(again.restore("epoch,loss\n1,2,3\n"), Catch::Contains("3 fields"));
}
