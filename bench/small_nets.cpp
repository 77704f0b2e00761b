// small_nets: small self-normalising networks on scikit-learn's bundled tables, timed end to end.
//
//   build/bin/small_nets [--datasets breast_cancer,wine,digits] [--epochs 0] [--threads 0]
//
// What a new user tries first: standardise the features, train a few Linear + SELU + alpha-dropout
// layers with SGD on mini-batches of 16–32 for a fixed number of epochs, score the held-out part.
// The networks are narrow (width 64–256), so every op is small — where threads cost more than they
// bring, above all when another process holds a core. bench/run_bench.py runs this at the default
// thread count and at 1 thread, with and without a busy loop pinned to one core.
//
// Prints tg::isa_report() and the thread count first, then per dataset:
//   <name>: the data and the network, one line
//   <name>_seconds        wall time of the training epochs (data loading and scoring excluded)
//   <name>_loss           mean training loss of the last epoch, %.9g: the same bits at any thread count
//   <name>_test_accuracy  on the stratified 20 % held out
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bench/measure.h"
#include "tapegrad.h"

using namespace tg;

namespace {

/// One table and the network trained on it; shapes within the batch 16–32, width 64–256.
struct Task {
  const char* name;
  const char* file;
  bool count_line;  // the first line is "<rows>,<features>,<class names>" (all but digits)
  std::int64_t batch, width, epochs;
};

constexpr std::int64_t kHiddenLayers = 3;
constexpr double kDropout = 0.05, kLearningRate = 0.01, kMomentum = 0.9;

const Task kTasks[] = {
    {"breast_cancer", "breast_cancer.csv", true, 16, 64, 400},  // 569 × 30, 2 classes
    {"wine", "wine_data.csv", true, 16, 128, 800},            // 178 × 13, 3 classes
    {"digits", "digits.csv.gz", false, 32, 256, 60},          // 1797 × 64, 10 classes
};

std::shared_ptr<nn::Sequential> snn(std::int64_t in_features, std::int64_t width, std::int64_t classes,
                                    std::uint64_t seed) {
  Generator gen(seed);
  auto model = std::make_shared<nn::Sequential>();
  for (std::int64_t i = 0, fan_in = in_features; i < kHiddenLayers; ++i, fan_in = width) {
    model->add(std::make_shared<nn::Linear>(fan_in, width, gen));
    model->add(std::make_shared<nn::SELU>());
    model->add(std::make_shared<nn::AlphaDropout>(kDropout, seed * 100 + static_cast<std::uint64_t>(i)));
  }
  model->add(std::make_shared<nn::Linear>(width, classes, gen));
  return model;
}

void run(const Task& task, const std::string& dir, std::int64_t epochs) {
  const CsvData csv = read_csv(dir + "/" + task.file,
                               {.label_index = -1, .skip_rows = task.count_line ? 1 : 0, .header = false});
  auto [train_raw, test_raw] = stratified_split(csv.dataset(), 0.2, /*seed=*/0);
  StandardScaler scaler;
  scaler.fit(train_raw.features);
  const Dataset train = scaler.transform(train_raw), test = scaler.transform(test_raw);
  const auto classes = static_cast<std::int64_t>(csv.class_names.size());
  auto model = snn(train.features.size(1), task.width, classes, /*seed=*/1);
  optim::SGD optimizer(model->parameters(), {.lr = kLearningRate, .momentum = kMomentum});
  DataLoader loader(train, {.batch_size = task.batch, .shuffle = true, .drop_last = false, .seed = 1});
  std::printf("%s: %lld train / %lld test rows, %lld features, %lld classes; "
              "batch %lld, %lld × width %lld, %lld epochs\n",
              task.name, static_cast<long long>(train.size()), static_cast<long long>(test.size()),
              static_cast<long long>(train.features.size(1)), static_cast<long long>(classes),
              static_cast<long long>(task.batch), static_cast<long long>(kHiddenLayers),
              static_cast<long long>(task.width), static_cast<long long>(epochs));

  double last_epoch_loss = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t epoch = 0; epoch < epochs; ++epoch) {
    double total = 0;
    for (const Batch& batch : loader.batches(epoch)) {
      Tensor loss = cross_entropy((*model)(batch.x), batch.y);
      optimizer.zero_grad();
      backward(loss);
      optimizer.step();
      total += loss.item();
    }
    last_epoch_loss = total / static_cast<double>(loader.num_batches());
  }
  const double seconds = bench::milliseconds_since(start) / 1e3;
  const Evaluation score = evaluate(*model, test);
  std::printf("%s_seconds: %.4f\n%s_loss: %.9g\n%s_test_accuracy: %.4f\n", task.name, seconds, task.name,
              last_epoch_loss, task.name, score.accuracy);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> names;
  for (const Task& t : kTasks) names.push_back(t.name);
  std::string dir = "/usr/lib/python3/dist-packages/sklearn/datasets/data";
  std::int64_t epochs = 0;
  int threads = 0;
  CLI::App app{"Train small SNNs on scikit-learn's tables and time them"};
  app.add_option("--datasets", names, "which tables (default: all three)")
      ->delimiter(',')
      ->check(CLI::IsMember({"breast_cancer", "wine", "digits"}));
  app.add_option("--data-dir", dir, "where scikit-learn's CSVs are (Debian's python3-sklearn)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--epochs", epochs, "epochs for every table (0: each table's own, see kTasks)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) set_num_threads(threads);
  std::printf("%s\nthreads: %d\n", isa_report().c_str(), num_threads());
  try {
    for (const std::string& name : names)
      for (const Task& task : kTasks)
        if (name == task.name) run(task, dir, epochs > 0 ? epochs : task.epochs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "small_nets: %s\n", e.what());
    return 1;
  }
  return 0;
}
