// The main job's pipeline, end to end and tiny: build/bin/figure1 on 512 Fashion-MNIST images,
// depths 2 and 3, both models, 2 epochs. Checks the CSV's columns and rows, that every loss is
// finite and training lowered it, the closing table, the same bits at 1 and 2 threads, and that
// bad arguments fail cleanly.
#include "support.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "datasets/mnist.h"
#include "nn/moment_tracer.h"

#ifndef TG_FIGURE1_BIN
#error "tests/CMakeLists.txt passes the figure1 binary's path as TG_FIGURE1_BIN"
#endif

namespace fs = std::filesystem;

namespace {

const std::string kColumns = "model,depth,epoch,train_loss,valid_loss,valid_accuracy,seconds";
const std::string kTiny = " --epochs 2 --train-subset 512 --valid-subset 300 --depths 2,3 --models snn,bn --seed 5";

// Runs figure1 with `args`, stdout and stderr into files in `dir`; returns the exit status.
int figure1(const std::string& args, const fs::path& dir, const std::string& env = "") {
  const std::string command = env + " '" TG_FIGURE1_BIN "'" + args + " > '" + (dir / "stdout.txt").string() +
                              "' 2> '" + (dir / "stderr.txt").string() + "'";
  return std::system(command.c_str());
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream s(line);
    for (std::string field; std::getline(s, field, ',');) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

}  // namespace

TEST_CASE("figure1 writes one CSV row per model, depth and epoch, with finite falling losses, and the table") {
  if (!fs::is_directory(tg::fashion_mnist_dir()))
    FAIL("Fashion-MNIST is missing from " << tg::fashion_mnist_dir() << ": run scripts/setup.sh");
  const tg::test::TempDir scratch;
  const fs::path out = scratch.path() / "run";
  REQUIRE(figure1(kTiny + " --out '" + out.string() + "'", scratch.path()) == 0);

  const auto rows = read_csv(out / "figure1.csv");
  REQUIRE(rows.size() == 1 + 2 * 2 * 3);  // header + {snn, bn} × {2, 3} × epochs {0, 1, 2}
  REQUIRE(tg::test::read_text(out / "figure1.csv").substr(0, kColumns.size() + 1) == kColumns + "\n");

  std::map<std::pair<std::string, int>, std::vector<double>> curves;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    INFO("row " << r);
    REQUIRE(row.size() == 7);
    REQUIRE((row[0] == "snn" || row[0] == "bn"));
    const int depth = std::stoi(row[1]);
    auto& curve = curves[{row[0], depth}];
    REQUIRE(std::stoi(row[2]) == static_cast<int>(curve.size()));  // epochs 0, 1, 2 in order
    const double train_loss = std::stod(row[3]), valid_loss = std::stod(row[4]), accuracy = std::stod(row[5]);
    REQUIRE((std::isfinite(train_loss) && train_loss > 0));
    REQUIRE((std::isfinite(valid_loss) && valid_loss > 0));
    REQUIRE((accuracy >= 0 && accuracy <= 1));
    REQUIRE(std::stod(row[6]) >= 0);
    curve.push_back(train_loss);
  }
  REQUIRE(curves.size() == 4);
  for (const auto& [key, loss] : curves) {
    INFO(key.first << " depth " << key.second << ": " << loss[0] << " -> " << loss[2]);
    REQUIRE(loss.size() == 3);
    CHECK(loss[2] < loss[0]);  // 8 SGD steps lower the training loss of both nets
  }

  const std::string stdout_text = tg::test::read_text(scratch / "stdout.txt");
  CHECK_THAT(stdout_text, Catch::Contains("std dlog10") && Catch::Contains("max rise"));
  CHECK(tg::test::read_text(out / "figure1_table.txt").find("snn       3") != std::string::npos);
  // scripts/setup.sh installs python3-matplotlib, so the plot must be there.
  REQUIRE(fs::exists(out / "figure1.png"));
  CHECK(fs::file_size(out / "figure1.png") > 10000);
}

TEST_CASE("figure1 gives the same losses with 1 and 2 threads") {
  if (!fs::is_directory(tg::fashion_mnist_dir()))
    FAIL("Fashion-MNIST is missing from " << tg::fashion_mnist_dir() << ": run scripts/setup.sh");
  const tg::test::TempDir scratch;
  const std::string args = " --epochs 1 --train-subset 256 --valid-subset 300 --depths 2 --no-plot";
  REQUIRE(figure1(args + " --out '" + (scratch / "one") + "'", scratch.path(), "OMP_NUM_THREADS=1") == 0);
  REQUIRE(figure1(args + " --out '" + (scratch / "two") + "'", scratch.path(), "OMP_NUM_THREADS=2") == 0);
  const auto one = read_csv(scratch / "one/figure1.csv"), two = read_csv(scratch / "two/figure1.csv");
  REQUIRE(one.size() == 5);
  REQUIRE(one.size() == two.size());
  for (std::size_t r = 0; r < one.size(); ++r)
    for (std::size_t c = 0; c + 1 < one[r].size(); ++c) {  // every column but the wall time
      INFO("row " << r << " column " << c);
      CHECK(one[r][c] == two[r][c]);
    }
}

TEST_CASE("figure1 --trace writes per-layer moments of every run every K-th update") {
  if (!fs::is_directory(tg::fashion_mnist_dir()))
    FAIL("Fashion-MNIST is missing from " << tg::fashion_mnist_dir() << ": run scripts/setup.sh");
  const tg::test::TempDir scratch;
  const fs::path out = scratch.path() / "run";
  // 512 images, batch 128: 4 updates, of which 0 and 2 are traced.
  REQUIRE(figure1(" --epochs 1 --train-subset 512 --valid-subset 300 --depths 2 --trace --trace-every 2 --no-plot"
                  " --out '" + out.string() + "'",
                  scratch.path()) == 0);
  const auto rows = read_csv(out / "trace.csv");
  REQUIRE(!rows.empty());
  REQUIRE(tg::test::read_text(out / "trace.csv").substr(0, tg::nn::MomentTracer::csv_header().size()) ==
          tg::nn::MomentTracer::csv_header());
  // Per traced update: snn-d2 has Linear, SELU, Linear, SELU, Linear; bn-d2 has 2 × (Linear, ReLU,
  // BatchNorm1d) + Linear.
  REQUIRE(rows.size() == 1 + 2 * 5 + 2 * 7);
  std::map<std::string, int> per_run;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    INFO("row " << r);
    ++per_run[rows[r][0]];
    const int step = std::stoi(rows[r][1]);
    CHECK((step == 0 || step == 2));
    const double var = std::stod(rows[r][5]);
    CHECK((std::isfinite(var) && var > 0));
  }
  CHECK(per_run == std::map<std::string, int>{{"bn-d2", 14}, {"snn-d2", 10}});
}

TEST_CASE("figure1 rejects bad arguments with a message and a nonzero status") {
  const tg::test::TempDir scratch;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" --depths 0", "--depths"},           {" --depths 8,x", "--depths"},
      {" --models foo", "--models"},         {" --models snn,snn", "twice"},
      {" --depths 8,8", "--depths names 8 twice"},
      {" --epochs -1", "--epochs"},          {" --epochs 0", "--epochs"},
      {" --train-subset 100", "--train-subset"}, {" --train-subset 60000", "--train-subset"},
      {" --no-such-flag", "no-such-flag"},
  };
  for (const auto& [args, expected] : cases) {
    INFO("figure1" << args);
    CHECK(figure1(args + " --out '" + (scratch / "bad") + "'", scratch.path()) != 0);
    CHECK_THAT(tg::test::read_text(scratch / "stderr.txt"), Catch::Contains(expected));
    CHECK_FALSE(fs::exists(scratch / "bad/figure1.csv"));
  }
}
