// figure1: Figure 1 of Self-Normalizing Neural Networks on Fashion-MNIST — the training loss of
// deep SNNs and of BatchNorm networks, epoch by epoch, at depths 8, 16 and 32 (docs/paper.md §6).
//
//   build/bin/figure1 [--epochs N] [--train-subset N] [--valid-subset N] [--depths 8,16,32]
//                     [--models snn,bn] [--seed S] [--out DIR] [--no-plot] [--trace [--trace-every K]]
//
// Writes DIR/figure1.csv (one row per model, depth and epoch; epoch 0 is the untrained net), then
// DIR/figure1.png via tools/plot_figure1.py, then prints the final training loss and its
// epoch-to-epoch variability per model and depth (also saved as DIR/figure1_table.txt).
// With --trace, an nn::MomentTracer also records every layer's activation moments, ω/τ spread and
// gradient norms every K-th update (runs "snn-d8", "bn-d8", ...) into DIR/trace.csv, drawn as
// DIR/trace.png by tools/plot_trace.py: per-layer variance over training (docs/theory.md §9).
// The defaults are a scaled-down run for two cores (README "Main job"); the paper's protocol is
//   figure1 --epochs 2000 --train-subset 0 --valid-subset 0
// Under `mpirun -np R` (R a power of two) every model trains data-parallel with no flag (tg::dist,
// docs/distributed.md): each rank trains on its rows of every batch, the curves are one process's
// bit for bit, and rank 0 alone prints, writes and plots. --trace is one process's only (the
// tracer's moments would be one rank's rows).
//
// Protocol (the authors' figure1/run.py):
//   SNN : [Linear → SELU] × depth, LeCun-normal weights, zero biases, no dropout
//   BN  : [Linear → ReLU → BatchNorm1d] × depth, He-normal weights; BN eps 1e-3, momentum 0.01
//         in PyTorch's convention (= Keras' momentum 0.99)
//   both: width 784; output Linear(784, 10), Glorot-uniform weights, zero bias; softmax
//         cross-entropy *summed* over the batch with plain SGD at lr 1e-5 (the same step as the
//         batch mean at lr 1.28e-3); batch 128, reshuffled every epoch, last partial batch dropped
//   data: the Fashion-MNIST training set split 50k/10k at random, pixels in [0, 1], then a
//         StandardScaler fitted on the 50k part. --train-subset trains on the first N of the 50k
//         (a random subset, since the split is a random permutation); the scaler is still the 50k one.
//
// Note [Resuming figure1]
// ~~~~~~~~~~~~~~~~~~~~~~~~
// The runs are curves, one per (depth, model), trained one after another. DIR/resume.npz
// (train/run_state.h) holds the curve in training — its model, optimizer and epoch, saved every
// --checkpoint-every epochs and after its last — and the results of every curve before it: their
// losses and wall times, figure1.csv's rows and, with --trace, trace.csv's rows so far. So a kill
// loses at most --checkpoint-every epochs of one curve, and `--resume` with the same arguments
// skips the finished curves, continues the interrupted one, and writes the same figure1.csv,
// trace.csv and table (wall-time columns apart) as a run never stopped.
//
// Note [Logging must not train]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// The logged training loss is the paper's: the mean cross-entropy over the whole training set in
// training mode, so the BN net normalises with batch statistics (batches of 128 in data order).
// A BatchNorm forward in training mode also updates the running statistics. The pass therefore runs
// under NoGrad on a snapshot of every buffer that is copied back afterwards: logging leaves the
// trained model — and the validation numbers, which use the running statistics in eval mode —
// exactly as training left them.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/loader.h"
#include "datasets/mnist.h"
#include "datasets/scaler.h"
#include "examples/common.h"
#include "train/distributed.h"
#include "train/metrics_log.h"
#include "train/progress.h"
#include "train/run_state.h"
#include "tapegrad.h"

#ifndef TG_SOURCE_DIR
#define TG_SOURCE_DIR "."
#endif

using namespace tg;

namespace {

constexpr std::int64_t kTrainSize = 50000;  // of Fashion-MNIST's 60000 training images; the rest validate
constexpr std::int64_t kWidth = 784;        // = the input dimension, as in the paper
constexpr std::int64_t kClasses = 10;
constexpr std::int64_t kBatch = 128;
constexpr double kLearningRate = 1e-5;      // on the loss summed over the batch
constexpr double kBatchNormEps = 1e-3;
constexpr double kBatchNormMomentum = 0.01;  // PyTorch convention; Keras writes 0.99
constexpr std::int64_t kEvalBatch = 1000;    // eval mode has no batch statistics, so any size gives the same loss

enum class Model { snn, bn };
const char* model_name(Model m) { return m == Model::snn ? "snn" : "bn"; }

struct Options {
  int epochs = 25;
  std::int64_t train_subset = 2560;  // 0 = all 50k
  std::int64_t valid_subset = 1000;  // 0 = all 10k
  std::vector<int> depths = {8, 16, 32};
  std::vector<std::string> models = {"snn", "bn"};
  std::uint64_t seed = 1;
  std::string out = "runs/figure1";
  bool plot = true;
  bool trace = false;
  std::int64_t trace_every = 10;
  int checkpoint_every = 1;  // epochs between saves of DIR/resume.npz
  bool resume = false;
};

// What decides the results: a run resumes only with these unchanged (Note [Resuming a run]).
optim::RunArguments run_arguments(const Options& o) {
  std::string depths, models;
  for (int d : o.depths) depths += (depths.empty() ? "" : ",") + std::to_string(d);
  for (const std::string& m : o.models) models += (models.empty() ? "" : ",") + m;
  return {{"--epochs", std::to_string(o.epochs)},
          {"--train-subset", std::to_string(o.train_subset)},
          {"--valid-subset", std::to_string(o.valid_subset)},
          {"--depths", depths},
          {"--models", models},
          {"--seed", std::to_string(o.seed)},
          {"--trace", o.trace ? "yes" : "no"},
          {"--trace-every", std::to_string(o.trace_every)},
          {"data folder (TG_FASHION_MNIST_DIR)", fashion_mnist_dir()}};
}

struct Data {
  Dataset train, valid;
};

Dataset first_rows(const Dataset& data, std::int64_t n) {
  return n == 0 ? data : Dataset{data.features.rows(0, n), data.labels.rows(0, n)};
}

Data load_data(const Options& o) {
  const Dataset all = load_fashion_mnist(Split::train, PixelScale::unit);
  auto [train, valid] = random_split(all, kTrainSize, o.seed);
  StandardScaler scaler;
  scaler.fit(train.features);
  return {scaler.transform(first_rows(train, o.train_subset)), scaler.transform(first_rows(valid, o.valid_subset))};
}

std::shared_ptr<nn::Sequential> build_model(Model kind, int depth, Generator& gen) {
  auto net = std::make_shared<nn::Sequential>();
  for (int layer = 0; layer < depth; ++layer) {
    auto linear = std::make_shared<nn::Linear>(kWidth, kWidth, gen);  // lecun_normal, zero bias
    net->add(linear);
    if (kind == Model::snn) {
      net->add(std::make_shared<nn::SELU>());
    } else {
      nn::init::he_normal(linear->weight, gen);
      net->add(std::make_shared<nn::ReLU>());
      net->add(std::make_shared<nn::BatchNorm1d>(kWidth, kBatchNormEps, kBatchNormMomentum));
    }
  }
  auto output = std::make_shared<nn::Linear>(kWidth, kClasses, gen);
  nn::init::glorot_uniform(output->weight, gen);
  net->add(output);
  return net;
}

// Copies every buffer of a module and writes the copies back when destroyed.
// See Note [Logging must not train].
class BufferSnapshot {
 public:
  explicit BufferSnapshot(const nn::Module& module) {
    for (const auto& [name, t] : module.named_buffers()) saved_.emplace_back(t, t.clone());
  }
  ~BufferSnapshot() {
    for (const auto& [live, copy] : saved_)
      std::memcpy(live.raw_data(), copy.raw_data(), static_cast<std::size_t>(live.numel()) * dtype_size(live.dtype()));
  }
  BufferSnapshot(const BufferSnapshot&) = delete;
  BufferSnapshot& operator=(const BufferSnapshot&) = delete;

 private:
  std::vector<std::pair<Tensor, Tensor>> saved_;
};

// Mean cross-entropy over `data` in training mode, batches of 128 in data order. A last batch of
// one example joins the one before: batch statistics need two rows.
double training_mode_loss(nn::Module& model, const Dataset& data) {
  NoGrad no_grad;
  const BufferSnapshot keep(model);
  const std::int64_t n = data.size();
  double total = 0;
  for (std::int64_t begin = 0; begin < n;) {
    std::int64_t end = std::min(begin + kBatch, n);
    if (n - end == 1) end = n;
    total += cross_entropy(model(data.features.rows(begin, end)), data.labels.rows(begin, end), Reduction::sum).item();
    begin = end;
  }
  return total / static_cast<double>(n);
}

struct Curve {
  Model model;
  int depth;
  std::vector<double> train_loss;  // index = epoch, 0 = before training
  double seconds = 0;
};

// Saves the run after `epoch` epochs of the curve in training (Note [Resuming figure1]).
using SaveRun = std::function<void(const nn::Module&, const optim::SGD&, int epoch, std::int64_t steps, const Curve&)>;

// Trains one model × depth for o.epochs epochs, logging every epoch (and epoch 0) to `log`;
// `tracer`, when given, traces the training steps (the logging passes run under NoGrad: untraced).
// With `resume`, continues the curve saved there; `save` is called every o.checkpoint_every epochs.
Curve run(Model kind, int depth, const Data& data, const Options& o, optim::MetricsLog& log,
          nn::MomentTracer* tracer, const optim::ResumableRun* resume, const SaveRun& save) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  Generator gen(o.seed);
  const std::shared_ptr<nn::Sequential> model = build_model(kind, depth, gen);
  optim::SGD sgd(model->parameters(), {.lr = kLearningRate});
  const std::unique_ptr<dist::DataParallel> ddp = dist::data_parallel_if_launched(*model);  // under mpirun
  const bool root = dist::is_root_process();
  // The same seed for every model: all of them see the same batches in the same order.
  DataLoader loader(data.train, {.batch_size = kBatch, .shuffle = true, .drop_last = true, .seed = o.seed});
  optim::Progress progress(cat(model_name(kind), " d=", depth), o.epochs, loader.num_batches(), kBatch);

  Curve curve{kind, depth, {}};
  auto log_epoch = [&](int epoch) {
    const double train_loss = training_mode_loss(*model, data.train);
    const Evaluation valid = evaluate(*model, data.valid, kEvalBatch);
    curve.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    curve.train_loss.push_back(train_loss);
    log.record({model_name(kind), std::to_string(depth), std::to_string(epoch), optim::MetricsLog::number(train_loss),
                optim::MetricsLog::number(valid.loss), optim::MetricsLog::number(valid.accuracy),
                optim::MetricsLog::number(curve.seconds)});
    char summary[96];
    std::snprintf(summary, sizeof summary, "valid_loss %.4f valid_acc %.4f", valid.loss, valid.accuracy);
    if (root) progress.end_epoch(epoch, train_loss, summary);
  };

  int first_epoch = 1;
  std::int64_t steps = 0;
  if (resume) {
    const optim::TrainingState saved = resume->restore(*model, &sgd);
    first_epoch = static_cast<int>(saved.epoch) + 1, steps = saved.step;
    curve.train_loss = resume->array(cat("curve/", depth, "-", model_name(kind), "/train_loss")).to_vector();
    curve.seconds = resume->array(cat("curve/", depth, "-", model_name(kind), "/seconds")).item();
    start -= std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(curve.seconds));
  } else {
    log_epoch(0);
  }
  if (tracer) tracer->attach(*model);
  for (int epoch = first_epoch; epoch <= o.epochs; ++epoch) {
    std::int64_t step = 0;  // in this epoch
    for (const Batch& batch : loader.batches(epoch - 1)) {
      sgd.zero_grad();
      const Tensor loss = dist::backward_step(ddp.get(), batch.x, batch.y, [&](const Tensor& xs, const Tensor& ys) {
        return cross_entropy((*model)(xs), ys, Reduction::sum);
      });
      optim::check_finite_loss(cat("figure1: ", model_name(kind), " depth ", depth), loss.item(), epoch, ++step,
                               "the learning rate is fixed by the paper; was the data standardised?");
      if (tracer) tracer->step();  // reads the gradients, before the update
      sgd.step();
      if (root) progress.step(loss.item() / static_cast<double>(kBatch));
      ++steps;
    }
    log_epoch(epoch);
    if (optim::ResumableRun::due(epoch, o.checkpoint_every, o.epochs)) save(*model, sgd, epoch, steps, curve);
  }
  if (tracer) tracer->detach();  // the model dies here; the rows stay
  return curve;
}

// ---- the closing table ----

// Epoch-to-epoch variability of a curve L_0 (untrained), L_1, ..., L_E:
//   std dlog10: the standard deviation of Δ_e = log10 L_e − log10 L_{e−1} over e = 2..E (the first
//               epoch's large drop from the untrained net is left out). It mixes noise with the
//               curve's bend: a fast-falling curve that flattens has a large std without any noise.
//   rises     : how many of the E training epochs ended with a higher loss than they started with,
//   max rise  : and the largest such rise, as a percentage of the loss. A smooth descent has none.
struct Variability {
  double std_dlog10 = NAN, max_rise_percent = 0;
  int rises = 0, epochs = 0;
};

Variability variability(const std::vector<double>& loss) {
  Variability v;
  std::vector<double> d;
  for (std::size_t e = 1; e < loss.size(); ++e) {
    if (e >= 2) d.push_back(std::log10(loss[e]) - std::log10(loss[e - 1]));
    if (loss[e] > loss[e - 1]) {
      ++v.rises;
      v.max_rise_percent = std::max(v.max_rise_percent, 100 * (loss[e] / loss[e - 1] - 1));
    }
  }
  v.epochs = static_cast<int>(loss.size()) - 1;
  if (d.size() >= 2) {
    const double mean = std::accumulate(d.begin(), d.end(), 0.0) / static_cast<double>(d.size());
    double squares = 0;
    for (double x : d) squares += (x - mean) * (x - mean);
    v.std_dlog10 = std::sqrt(squares / static_cast<double>(d.size() - 1));
  }
  return v;
}

std::string table(const std::vector<Curve>& curves) {
  std::ostringstream out;
  char line[160];
  std::snprintf(line, sizeof line, "%-5s %5s %12s %12s %11s %7s %9s %9s\n", "model", "depth", "initial", "final",
                "std dlog10", "rises", "max rise", "seconds");
  out << line;
  for (const Curve& c : curves) {
    const Variability v = variability(c.train_loss);
    std::snprintf(line, sizeof line, "%-5s %5d %12.6g %12.6g %11.4f %3d/%-3d %8.2f%% %9.1f\n", model_name(c.model),
                  c.depth, c.train_loss.front(), c.train_loss.back(), v.std_dlog10, v.rises, v.epochs,
                  v.max_rise_percent, c.seconds);
    out << line;
  }
  out << "initial, final: training loss (mean cross-entropy over the training set, training mode) before training\n"
         "and after the last epoch. std dlog10: standard deviation of log10 L_e - log10 L_e-1 over epochs 2..E\n"
         "(noise and the curve's bend together). rises: epochs whose loss ended higher than it started;\n"
         "max rise: the largest, in percent. seconds: wall time of that run, logging included.\n";
  return out.str();
}

std::vector<Model> parse_models(const std::vector<std::string>& names) {
  std::vector<Model> models;
  for (const std::string& name : names) {
    const Model m = name == "snn" ? Model::snn : Model::bn;
    check(std::find(models.begin(), models.end(), m) == models.end(), "figure1: --models lists ", name, " twice");
    models.push_back(m);
  }
  return models;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Figure 1 of Self-Normalizing Neural Networks on Fashion-MNIST: training loss of SNN vs BatchNorm "
               "networks at several depths."};
  app.option_defaults()->always_capture_default();
  Options o;
  app.add_option("--epochs", o.epochs, "training epochs (the paper: 2000)")->check(CLI::Range(1, 1000000));
  app.add_option("--train-subset", o.train_subset, "train on the first N of the 50k training part (0 = all)")
      ->check(CLI::Range(std::int64_t{0}, kTrainSize));
  app.add_option("--valid-subset", o.valid_subset, "validate on the first N of the 10k validation part (0 = all)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10000}));
  app.add_option("--depths", o.depths, "hidden layers, comma separated")
      ->delimiter(',')
      ->check(CLI::Range(1, 1000));
  app.add_option("--models", o.models, "snn, bn or both, comma separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"snn", "bn"}));
  app.add_option("--seed", o.seed, "seed of the split, the weights and the batch order");
  app.add_option("--out", o.out, "output directory")->check([](const std::string& s) {
    return s.empty() ? std::string("must not be empty") : std::string();
  });
  app.add_flag_callback("--no-plot", [&o] { o.plot = false; }, "skip tools/plot_figure1.py (the CSV is written either way)");
  app.add_flag("--trace", o.trace, "also write DIR/trace.csv and DIR/trace.png: per-layer moments over training");
  app.add_option("--trace-every", o.trace_every, "with --trace: trace every K-th update")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  app.add_option("--checkpoint-every", o.checkpoint_every, "save the curve in training to DIR/resume.npz every N epochs")
      ->check(CLI::Range(1, 1000000));
  app.add_flag("--resume", o.resume, "continue the killed run in --out (started with the same other arguments)");
  CLI11_PARSE(app, argc, argv);

  const auto start = std::chrono::steady_clock::now();
  try {
    check(o.train_subset == 0 || o.train_subset >= kBatch, "figure1: --train-subset ", o.train_subset,
          " is smaller than one batch of ", kBatch);
    check(!o.depths.empty() && !o.models.empty(), "figure1: --depths and --models need at least one value");
    for (std::size_t i = 0; i < o.depths.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        check(o.depths[i] != o.depths[j], "figure1: --depths names ", o.depths[i], " twice");
    const std::vector<Model> models = parse_models(o.models);
    for (int depth : o.depths)  // before anything is allocated (a std::bad_alloc says nothing of --depths)
      examples::check_parameters_fit("figure1", depth * (kWidth + 1.0) * kWidth + (kWidth + 1.0) * kClasses,
                                     cat("--depths ", depth));

    const bool root = dist::is_root_process();  // under mpirun, rank 0 prints and writes
    check(!o.trace || !dist::launched_by_mpi(), "figure1: --trace runs in one process only, not under mpirun "
          "(each rank would trace its own rows)");
    const std::filesystem::path dir(o.out);
    const optim::ResumableRun resumable("figure1", dir, run_arguments(o), o.resume);  // before the data: fails fast
    for (const std::string& path : resumable.removed_temporaries()) std::cout << "removed orphaned temporary " << path << "\n";
    const Data data = load_data(o);
    if (root) std::cout << isa_report() << "\n";  // which kernels made these figures
    if (root) std::cout << "figure1: Fashion-MNIST, " << data.train.size() << " training and " << data.valid.size()
              << " validation examples, " << o.epochs << " epochs, " << num_threads() << " threads\n";
    optim::MetricsLog log((dir / "figure1.csv").string(),
                          {"model", "depth", "epoch", "train_loss", "valid_loss", "valid_accuracy", "seconds"});
    log.auto_flush = root;

    // Where a resumed run stands (Note [Resuming figure1]): curves before `current` are finished,
    // and so is `current` itself when its saved epoch is the last.
    std::int64_t current = -1, current_epoch = 0, current_steps = 0;
    std::string trace_rows;  // trace.csv's rows of the curves before this process's, without the header
    if (resumable.resumed()) {
      current = static_cast<std::int64_t>(resumable.array("figure1/curve").item());
      current_epoch = static_cast<std::int64_t>(resumable.array("state/epoch").item());
      current_steps = static_cast<std::int64_t>(resumable.array("state/step").item());
      log.restore(resumable.text("log/figure1_csv"));
      if (root) log.flush();
      if (o.trace) trace_rows = resumable.text("log/trace_csv");
      if (root) std::cout << "figure1: resumed " << resumable.path().string() << " at curve " << current + 1 << ", epoch "
                << current_epoch << " of " << o.epochs << "\n";
    }

    std::vector<Curve> curves;
    std::vector<std::unique_ptr<nn::MomentTracer>> tracers;
    auto all_trace_rows = [&] {
      std::string text = trace_rows;
      for (const auto& t : tracers)
        for (const nn::TraceRow& row : t->rows()) text += nn::MomentTracer::csv_row(row) + "\n";
      return text;
    };
    auto curve_name = [](const Curve& c) { return cat("curve/", c.depth, "-", model_name(c.model)); };
    auto save_arrays = [&](const Curve& c, NamedTensors& extras) {
      extras.emplace_back(curve_name(c) + "/train_loss", tensor(c.train_loss, {static_cast<std::int64_t>(c.train_loss.size())}, DType::float64));
      extras.emplace_back(curve_name(c) + "/seconds", tensor({c.seconds}, DType::float64).reshape({}));
    };
    for (int depth : o.depths)
      for (Model m : models) {
        const auto index = static_cast<std::int64_t>(curves.size());
        if (index < current || (index == current && current_epoch == o.epochs)) {  // finished before the kill
          Curve done{m, depth, {}};
          done.train_loss = resumable.array(curve_name(done) + "/train_loss").to_vector();
          done.seconds = resumable.array(curve_name(done) + "/seconds").item();
          curves.push_back(done);
          continue;
        }
        const bool resuming = index == current;
        nn::MomentTracer* tracer = nullptr;
        if (o.trace)
          tracer = tracers.emplace_back(std::make_unique<nn::MomentTracer>(nn::TraceOptions{
              .every = o.trace_every, .first_step = resuming ? current_steps : 0,
              .run = cat(model_name(m), "-d", depth)})).get();
        const SaveRun save = [&](const nn::Module& model, const optim::SGD& sgd, int epoch, std::int64_t steps,
                                 const Curve& curve) {
          if (!root) return;  // every rank holds the same state; rank 0 alone writes it
          NamedTensors extras{{"figure1/curve", labels({index}).reshape({})},
                              {"log/figure1_csv", optim::text_tensor(log.csv())}};
          for (const Curve& c : curves) save_arrays(c, extras);
          save_arrays(curve, extras);
          if (o.trace) extras.emplace_back("log/trace_csv", optim::text_tensor(all_trace_rows()));
          resumable.save(model, &sgd, {.epoch = epoch, .step = steps, .seed = o.seed, .extras = std::move(extras)});
        };
        curves.push_back(run(m, depth, data, o, log, tracer, resuming ? &resumable : nullptr, save));
      }

    if (!root) return 0;
    if (o.plot) examples::run_plot_script("figure1", TG_SOURCE_DIR, "plot_figure1.py", {dir.string()}, dir / "figure1.png");
    if (o.trace) {
      write_file_atomically((dir / "trace.csv").string(), nn::MomentTracer::csv_header() + "\n" + all_trace_rows());
      std::cout << "trace: " << (dir / "trace.csv").string() << "\n";
      if (o.plot)
        examples::run_plot_script("figure1", TG_SOURCE_DIR, "plot_trace.py",
                                  {(dir / "trace.csv").string(), (dir / "trace.png").string()}, dir / "trace.png");
    }
    const std::string summary = table(curves);
    write_file_atomically((dir / "figure1_table.txt").string(), summary);
    resumable.finish();
    std::cout << "\n" << summary << "figure1: total "
              << optim::format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())
              << " wall time; results in " << dir.string() << "\n";
  } catch (const std::exception& e) {  // tg::Error messages already name the function
    dist::abort_job_if_distributed(cat("error: ", e.what()));
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
