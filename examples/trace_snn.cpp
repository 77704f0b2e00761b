// trace_snn: watch self-normalisation happen during training. A deep SNN and a BatchNorm net are
// trained side by side while an nn::MomentTracer records every block's activation moments, the
// weights' ω and τ and the gradient norms (docs/theory.md, "Watching it train").
//
//   build/bin/trace_snn [--depth 16] [--width 256] [--epochs 3] [--train-subset 12800] [--every 5]
//                       [--lr 0.01] [--models snn,bn] [--data fashion|synthetic] [--out runs/trace]
//                       [--no-plot]
//   build/bin/trace_snn --overhead    the tracer's cost on a depth-8, width-784 SNN step, and
//                                     profiler tables of such steps (docs/autograd.md); on a busy
//                                     machine prefix OMP_NUM_THREADS=1 and read the CPU column
//
// Writes DIR/trace.csv (nn/moment_tracer.h lists the columns) and DIR/trace.png via
// tools/plot_trace.py. The networks have figure1's layers, not all its settings:
//   snn: [Linear (LeCun normal) → SELU] × depth
//   bn : [Linear (He normal) → ReLU → BatchNorm1d] × depth, with BatchNorm1d's defaults (eps 1e-5,
//        momentum 0.1) rather than figure1's eps 1e-3 and momentum 0.01
//   both end in Linear(width, 10) (Glorot uniform); mean cross-entropy, plain SGD, batch 128.
// Inputs are standardised Fashion-MNIST pixels, or with --data synthetic N(0, 1) vectors labelled
// by a fixed random linear map (no data files needed).
//
// Training saves its state to DIR/resume.npz every --checkpoint-every epochs (the network in
// training, its optimizer, epoch and tracer step, and trace.csv's rows so far); after a kill the
// same command with --resume continues and writes the same trace.csv, bit for bit, as a run never
// stopped (Note [Resuming a run] in train/run_state.h).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "autograd/profiler.h"
#include "examples/common.h"
#include "nn/moment_tracer.h"
#include "train/run_state.h"
#include "tapegrad.h"

#ifndef TG_SOURCE_DIR
#define TG_SOURCE_DIR "."
#endif

using namespace tg;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kClasses = 10, kBatch = 128, kFeatures = 784;

struct Options {
  int depth = 16;
  std::int64_t width = 256;
  int epochs = 3;
  std::int64_t train_subset = 12800;  // 0 = all 60k
  std::int64_t every = 5;
  double lr = 0.01;
  std::vector<std::string> models = {"snn", "bn"};
  std::string data = "fashion";
  std::string out = "runs/trace";
  bool plot = true;
  std::uint64_t seed = 0;
  int checkpoint_every = 1;  // epochs between saves of DIR/resume.npz
  bool resume = false;
};

// What decides the results: a run resumes only with these unchanged (Note [Resuming a run]).
optim::RunArguments run_arguments(const Options& o) {
  std::string models;
  for (const std::string& m : o.models) models += (models.empty() ? "" : ",") + m;
  optim::RunArguments arguments{{"--depth", std::to_string(o.depth)},   {"--width", std::to_string(o.width)},
                                {"--epochs", std::to_string(o.epochs)}, {"--train-subset", std::to_string(o.train_subset)},
                                {"--every", std::to_string(o.every)},   {"--lr", optim::exact(o.lr)},
                                {"--models", models},                   {"--data", o.data},
                                {"--seed", std::to_string(o.seed)}};
  if (o.data == "fashion") arguments.emplace_back("data folder (TG_FASHION_MNIST_DIR)", fashion_mnist_dir());
  return arguments;
}

std::shared_ptr<nn::Sequential> build_model(const std::string& kind, int depth, std::int64_t width, Generator& gen) {
  auto net = std::make_shared<nn::Sequential>();
  std::int64_t in = kFeatures;
  for (int layer = 0; layer < depth; ++layer) {
    auto linear = std::make_shared<nn::Linear>(in, width, gen);  // lecun_normal, zero bias
    net->add(linear);
    if (kind == "snn") {
      net->add(std::make_shared<nn::SELU>());
    } else {
      nn::init::he_normal(linear->weight, gen);
      net->add(std::make_shared<nn::ReLU>());
      net->add(std::make_shared<nn::BatchNorm1d>(width));
    }
    in = width;
  }
  auto output = std::make_shared<nn::Linear>(in, kClasses, gen);
  nn::init::glorot_uniform(output->weight, gen);
  net->add(output);
  return net;
}

// N(0, 1) features labelled by argmax of a fixed random linear map: learnable, and needs no files.
Dataset synthetic(std::int64_t n, std::uint64_t seed) {
  NoGrad no_grad;
  Generator gen(seed);
  Tensor x = randn({n, kFeatures}, gen);
  Tensor map = randn({kFeatures, kClasses}, gen);
  return {x, argmax(matmul(x, map), 1)};
}

Dataset load_data(const Options& o) {
  if (o.data == "synthetic") return synthetic(o.train_subset ? o.train_subset : 60000, o.seed);
  Dataset all = load_fashion_mnist(Split::train, PixelScale::unit);
  if (o.train_subset) all = Dataset{all.features.rows(0, o.train_subset), all.labels.rows(0, o.train_subset)};
  return StandardScaler().fit(all.features).transform(all);
}

// The last traced step's block outputs (the module before each Linear), as "var min–max".
std::string last_variances(const nn::MomentTracer& tracer) {
  const std::vector<nn::TraceRow>& rows = tracer.rows();
  if (rows.empty()) return "";
  const std::int64_t step = rows.back().step;
  double lo = 1e300, hi = -1e300;
  const nn::TraceRow* previous = nullptr;
  for (const nn::TraceRow& r : rows) {
    if (r.step != step) continue;
    if (r.type == "Linear" && previous) lo = std::min(lo, previous->var), hi = std::max(hi, previous->var);
    previous = &r;
  }
  return cat("block variances ", std::setprecision(3), lo, "..", hi);
}

int train(const Options& o) {
  const optim::ResumableRun run("trace_snn", o.out, run_arguments(o), o.resume);  // before the data: fails fast
  for (const std::string& path : run.removed_temporaries()) std::cout << "removed orphaned temporary " << path << "\n";
  const Dataset data = load_data(o);
  std::cout << isa_report() << "\n";  // which kernels made these figures
  std::cout << "trace_snn: " << o.data << ", " << data.size() << " examples, depth " << o.depth << ", width " << o.width
            << ", " << o.epochs << " epochs, tracing every " << o.every << " steps\n";
  // A resumed run: the networks before `current` are done, and `current` after `first_epoch` epochs.
  std::int64_t current = 0, first_epoch = 0;
  std::string saved_rows, saved_variances;  // trace.csv's rows before the resumed point; its last epoch line's
  if (run.resumed()) {
    current = static_cast<std::int64_t>(run.array("trace/model").item());
    first_epoch = static_cast<std::int64_t>(run.array("state/epoch").item());
    saved_rows = run.text("log/trace_csv");
    saved_variances = run.text("trace/last_variances");
    check(current >= 0 && current <= static_cast<std::int64_t>(o.models.size()), "trace_snn --resume: ",
          run.path().string(), ": trace/model is ", current, " of ", o.models.size(), " networks");
    std::cout << "trace_snn: resumed " << run.path().string() << " at network " << current + 1 << ", epoch "
              << first_epoch << " of " << o.epochs << "\n";
  }
  std::vector<std::unique_ptr<nn::MomentTracer>> tracers;
  auto all_rows = [&] {
    std::string text = saved_rows;
    for (const auto& t : tracers)
      for (const nn::TraceRow& row : t->rows()) text += nn::MomentTracer::csv_row(row) + "\n";
    return text;
  };
  for (std::int64_t index = current; index < static_cast<std::int64_t>(o.models.size()); ++index) {
    const std::string& kind = o.models[index];
    Generator gen(o.seed);
    const auto model = build_model(kind, o.depth, o.width, gen);
    optim::SGD sgd(model->parameters(), {.lr = o.lr});
    DataLoader loader(data, {.batch_size = kBatch, .shuffle = true, .drop_last = true, .seed = o.seed});
    std::int64_t steps = 0;
    int start_epoch = 0;
    std::string variances;  // while this process's tracer has no rows, the resumed run's last
    if (run.resumed() && index == current && first_epoch > 0) {
      const optim::TrainingState saved = run.restore(*model, &sgd);
      start_epoch = static_cast<int>(saved.epoch), steps = saved.step, variances = saved_variances;
    }
    auto& tracer = *tracers.emplace_back(std::make_unique<nn::MomentTracer>(
        nn::TraceOptions{.every = o.every, .first_step = steps, .run = kind}));
    tracer.attach(*model);
    for (int epoch = start_epoch; epoch < o.epochs; ++epoch) {
      double total = 0;
      std::int64_t step = 0;  // in this epoch
      for (const Batch& batch : loader.batches(epoch)) {
        const Tensor loss = cross_entropy((*model)(batch.x), batch.y);
        optim::check_finite_loss(cat("trace_snn: ", kind), loss.item(), epoch + 1, ++step);
        sgd.zero_grad();
        backward(loss);
        tracer.step();  // after backward (gradients), before the update
        sgd.step();
        total += loss.item();
        ++steps;
      }
      if (!tracer.rows().empty()) variances = last_variances(tracer);
      std::cout << kind << " epoch " << epoch + 1 << ": mean loss " << std::setprecision(4)
                << total / static_cast<double>(loader.num_batches()) << ", " << variances << "\n";
      if (optim::ResumableRun::due(epoch + 1, o.checkpoint_every, o.epochs)) {
        // After the last epoch the next network is due, from scratch: an epoch count of 0 says so.
        const bool last = epoch + 1 == o.epochs;
        run.save(*model, &sgd,
                 {.epoch = last ? 0 : epoch + 1, .step = steps, .seed = o.seed,
                  .extras = {{"trace/model", labels({last ? index + 1 : index}).reshape({})},
                             {"trace/last_variances", optim::text_tensor(variances)},
                             {"log/trace_csv", optim::text_tensor(all_rows())}}});
      }
    }
    tracer.detach();  // the model dies at the end of this iteration; the rows stay
  }
  const fs::path csv = fs::path(o.out) / "trace.csv";
  write_file_atomically(csv.string(), nn::MomentTracer::csv_header() + "\n" + all_rows());
  std::cout << "trace: " << csv.string() << "\n";
  if (o.plot)
    examples::run_plot_script("trace_snn", TG_SOURCE_DIR, "plot_trace.py",
                              {csv.string(), (fs::path(o.out) / "trace.png").string()}, fs::path(o.out) / "trace.png");
  run.finish();
  return 0;
}

// ---- --overhead ----

// Process CPU time: unlike wall time, it does not grow while other programs hold the cores.
double cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

// kRounds timings of kSteps training steps per variant; the variants take turns round by round,
// so a slow spell of a shared machine hits all of them alike. Medians of wall and CPU time per
// step are printed. On a busy machine run it with OMP_NUM_THREADS=1: the CPU time of one thread
// is then the cost itself, free of other programs and of OpenMP threads spinning at barriers.
int overhead() {
  constexpr int kDepth = 8, kRounds = 11, kSteps = 10;
  constexpr std::int64_t kWidth = 784;
  Generator gen(0);
  const auto model = build_model("snn", kDepth, kWidth, gen);
  optim::SGD sgd(model->parameters(), {.lr = 1e-4});
  const Dataset data = synthetic(kBatch, 1);
  auto step = [&](nn::MomentTracer* tracer) {
    const Tensor loss = cross_entropy((*model)(data.features), data.labels);
    sgd.zero_grad();
    backward(loss);
    if (tracer) tracer->step();
    sgd.step();
  };

  struct Variant {
    const char* name;
    std::int64_t every;  // 0: no tracer
    bool detach;
    std::vector<double> wall, cpu;  // ms per step, one entry per round
  };
  std::vector<Variant> variants = {{"no tracer", 0, false, {}, {}},
                                   {"tracer attached, every step traced", 1, false, {}, {}},
                                   {"tracer attached, every 10th step traced", 10, false, {}, {}},
                                   {"tracer attached, then detached", 1, true, {}, {}}};
  for (int i = 0; i < 3; ++i) step(nullptr);  // warm up: first-touch page faults, thread start
  for (int round = 0; round < kRounds; ++round)
    for (Variant& v : variants) {
      nn::MomentTracer tracer({.every = std::max<std::int64_t>(1, v.every)});
      if (v.every) tracer.attach(*model);
      if (v.detach) tracer.detach();
      const auto start = std::chrono::steady_clock::now();
      const double cpu_start = cpu_ms();
      for (int s = 0; s < kSteps; ++s) step(v.every && !v.detach ? &tracer : nullptr);
      v.cpu.push_back((cpu_ms() - cpu_start) / kSteps);
      v.wall.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / kSteps);
    }
  std::cout << "trace_snn --overhead: SNN depth " << kDepth << ", width " << kWidth << ", batch " << kBatch
            << ", float32, " << num_threads() << " threads; median of " << kRounds << " rounds of " << kSteps
            << " steps\n";
  std::cout << "  " << std::left << std::setw(42) << "variant" << std::right << std::setw(19) << "wall ms/step"
            << std::setw(19) << "CPU ms/step" << "\n";
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double base_wall = median(variants[0].wall), base_cpu = median(variants[0].cpu);
  for (const Variant& v : variants) {
    const double wall = median(v.wall), cpu = median(v.cpu);
    std::cout << "  " << std::left << std::setw(42) << v.name << std::right << std::fixed << std::setprecision(1)
              << std::setw(10) << wall << std::showpos << std::setw(8) << 100 * (wall / base_wall - 1) << "%"
              << std::noshowpos << std::setw(10) << cpu << std::showpos << std::setw(8) << 100 * (cpu / base_cpu - 1)
              << "%" << std::noshowpos << "\n";
  }
  std::cout.unsetf(std::ios::fixed);

  // Five steps per table: one step's few-millisecond ops are at the mercy of the scheduler.
  constexpr int kProfiledSteps = 5;
  std::cout << "\nprofile of " << kProfiledSteps << " steps without a tracer:\n";
  {
    Profiler prof;
    for (int s = 0; s < kProfiledSteps; ++s) step(nullptr);
    prof.report(std::cout);
  }
  std::cout << "\nprofile of " << kProfiledSteps << " traced steps:\n";
  {
    nn::MomentTracer tracer;
    tracer.attach(*model);
    Profiler prof;
    for (int s = 0; s < kProfiledSteps; ++s) step(&tracer);
    prof.report(std::cout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trace per-layer moments of a deep SNN and a BatchNorm net while they train (nn::MomentTracer)."};
  app.option_defaults()->always_capture_default();
  Options o;
  bool measure = false;
  app.add_option("--depth", o.depth, "hidden blocks")->check(CLI::Range(1, 1000));
  app.add_option("--width", o.width, "units per hidden layer")->check(CLI::Range(std::int64_t{1}, std::int64_t{100000}));
  app.add_option("--epochs", o.epochs, "training epochs")->check(CLI::Range(1, 100000));
  app.add_option("--train-subset", o.train_subset, "train on the first N examples (0 = all 60k)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{60000}));
  app.add_option("--every", o.every, "trace every k-th step")->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  app.add_option("--lr", o.lr, "SGD learning rate on the batch-mean loss")->check(CLI::PositiveNumber);
  app.add_option("--models", o.models, "snn, bn or both, comma separated")->delimiter(',')->check(CLI::IsMember({"snn", "bn"}));
  app.add_option("--data", o.data, "fashion (Fashion-MNIST) or synthetic")->check(CLI::IsMember({"fashion", "synthetic"}));
  app.add_option("--seed", o.seed, "seed of the weights and the batch order");
  app.add_option("--out", o.out, "output directory");
  app.add_flag_callback("--no-plot", [&o] { o.plot = false; }, "skip tools/plot_trace.py (the CSV is written either way)");
  app.add_option("--checkpoint-every", o.checkpoint_every, "save the run's state to DIR/resume.npz every N epochs")
      ->check(CLI::Range(1, 1000000));
  app.add_flag("--resume", o.resume, "continue the killed run in --out (started with the same other arguments)");
  app.add_flag("--overhead", measure, "measure the tracer's cost and print a profiler table instead of training");
  CLI11_PARSE(app, argc, argv);
  try {
    if (measure) return overhead();
    check(o.train_subset == 0 || o.train_subset >= kBatch, "trace_snn: --train-subset ", o.train_subset,
          " is smaller than one batch of ", kBatch);
    check(!o.out.empty(), "trace_snn: --out is empty");
    for (std::size_t i = 0; i < o.models.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        check(o.models[i] != o.models[j], "trace_snn: --models names ", o.models[i], " twice");
    fs::create_directories(o.out);  // before training: a bad --out fails now, not after the run
    return train(o);
  } catch (const std::exception& e) {  // tg::Error messages already name the function
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
