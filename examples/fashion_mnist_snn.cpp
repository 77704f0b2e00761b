// fashion_mnist_snn: a self-normalising network on Fashion-MNIST (docs/fashion_mnist.md).
//
//   build/bin/fashion_mnist_snn                          train on the 60k, test once on the 10k
//   build/bin/fashion_mnist_snn --valid 5000             tune: hold out 5k of the 60k, never touch the test set
//   build/bin/fashion_mnist_snn --evaluate runs/fashion_mnist_snn/model.npz
//
// The network is 784 → hidden… → 10: Linear (lecun_normal) + SELU per hidden layer, alpha-dropout
// after each hidden layer, inputs standardised with a StandardScaler fitted on the training part.
// SGD with Nesterov momentum on the batch-mean cross-entropy, cosine learning-rate schedule, and
// random left-right mirroring of training images (--no-flip turns it off). The defaults are the
// configuration chosen on a 55k/5k validation split (docs/fashion_mnist.md).
//
// A run writes <out>/metrics.csv (one row per epoch) and the checkpoint: weights, optimizer state,
// and what --evaluate needs besides (Note [What the checkpoint holds]). The last line printed is
// `test_accuracy: <x>` (or `valid_accuracy: <x>` with --valid).
//
// Training saves its whole state to <out>/resume.npz every --checkpoint-every epochs; after a
// kill, the same command with --resume continues it and writes the same files, bit for bit, as a
// run never stopped (Note [Resuming a run] in train/run_state.h; docs/fashion_mnist.md).
// Under `mpirun -np R` (R a power of two) it trains data-parallel with no flag: every rank loads
// the data and draws the same batches, trains on its rows of each (tg::dist, docs/distributed.md),
// and ends with one process's parameters bit for bit; rank 0 alone prints and writes files.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <vector>

#include "datasets/loader.h"
#include "datasets/mnist.h"
#include "datasets/scaler.h"
#include "examples/common.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/finite.h"
#include "train/metrics_log.h"
#include "train/progress.h"
#include "train/run_state.h"
#include "train/weights.h"
#include "tapegrad.h"

using namespace tg;
namespace fs = std::filesystem;

namespace {

// Note [What the checkpoint holds]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Rebuilding the network and preparing its inputs needs more than the weights: the architecture
// and the scaler's statistics. Both go into the checkpoint itself as its extras (train/checkpoint.h):
//   config/in_features, config/classes   int64 0-dim      config/hidden   int64 [layers]
//   config/dropout, config/input_dropout float64 0-dim   scaler/mean, scaler/scale  float64 [784]
//   run/batch_size, run/flip, run/valid  int64 0-dim, for the record (the optimizer's and the
//                                        schedule's state hold lr, momentum and the epochs)
// so --evaluate needs no other flag and no other file. float64 holds the doubles exactly, so the
// reloaded scaler gives the same standardised test images, bit for bit, and the same accuracy.
// (Checkpoints from before, with a JSON sidecar, are checkpoint format 1 and are not read.)

struct Architecture {
  std::int64_t in_features = 784, classes = 10;
  std::vector<std::int64_t> hidden{512, 512, 512};
  double dropout = 0.05;        // alpha-dropout rate after each hidden layer
  double input_dropout = 0.0;   // alpha-dropout rate on the standardised pixels
};

struct Options {
  Architecture arch;
  int epochs = 30;
  double lr = 0.02, momentum = 0.9, weight_decay = 0.0;
  std::int64_t batch_size = 128;
  std::uint64_t seed = 0;
  std::int64_t valid = 0;  // examples held out of the 60k for validation; 0 = final run on the test set
  bool flip = true;        // augment: mirror each training image left-right with probability 1/2
  std::string out = "runs/fashion_mnist_snn", checkpoint, evaluate;
  int checkpoint_every = 1;  // epochs between saves of <out>/resume.npz
  bool resume = false;
};

// What decides the results: a run resumes only with these unchanged (Note [Resuming a run]).
optim::RunArguments run_arguments(const Options& o, const std::string& checkpoint) {
  std::string hidden;
  for (std::int64_t h : o.arch.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
  return {{"--epochs", std::to_string(o.epochs)},   {"--lr", optim::exact(o.lr)},
          {"--momentum", optim::exact(o.momentum)}, {"--weight-decay", optim::exact(o.weight_decay)},
          {"--batch", std::to_string(o.batch_size)}, {"--hidden", hidden},
          {"--dropout", optim::exact(o.arch.dropout)}, {"--input-dropout", optim::exact(o.arch.input_dropout)},
          {"--no-flip", o.flip ? "no" : "yes"},     {"--seed", std::to_string(o.seed)},
          {"--valid", std::to_string(o.valid)},     {"--checkpoint", checkpoint},
          {"data folder (TG_FASHION_MNIST_DIR)", fashion_mnist_dir()}};
}

std::shared_ptr<nn::Sequential> build_model(const Architecture& arch, std::uint64_t seed) {
  Generator gen(seed);
  auto model = std::make_shared<nn::Sequential>();
  // Distinct dropout seeds per layer; the weights use `gen`'s own counters.
  std::uint64_t dropout_seed = seed * 1000 + 1;
  if (arch.input_dropout > 0) model->add(std::make_shared<nn::AlphaDropout>(arch.input_dropout, dropout_seed++));
  std::int64_t width = arch.in_features;
  for (std::int64_t h : arch.hidden) {
    model->add(std::make_shared<nn::Linear>(width, h, gen));
    model->add(std::make_shared<nn::SELU>());
    if (arch.dropout > 0) model->add(std::make_shared<nn::AlphaDropout>(arch.dropout, dropout_seed++));
    width = h;
  }
  model->add(std::make_shared<nn::Linear>(width, arch.classes, gen));
  return model;
}

Tensor int64_value(std::int64_t v) { return labels({v}).reshape({}); }
Tensor float64_value(double v) { return tensor({v}, DType::float64).reshape({}); }

// The checkpoint's extras (Note [What the checkpoint holds]).
NamedTensors checkpoint_extras(const Options& o, const StandardScaler& scaler) {
  const Architecture& arch = o.arch;
  NamedTensors extras{{"config/in_features", int64_value(arch.in_features)},
                      {"config/classes", int64_value(arch.classes)},
                      {"config/hidden", labels(arch.hidden)},
                      {"config/dropout", float64_value(arch.dropout)},
                      {"config/input_dropout", float64_value(arch.input_dropout)},
                      {"run/batch_size", int64_value(o.batch_size)},
                      {"run/flip", int64_value(o.flip)},
                      {"run/valid", int64_value(o.valid)}};
  for (auto& entry : optim::scaler_tensors(scaler)) extras.push_back(std::move(entry));
  return extras;
}

// The architecture stored by checkpoint_extras; a tg::Error naming the array if it is missing or
// malformed.
Architecture architecture_from(const NamedTensors& arrays, const std::string& where) {
  auto find = [&](const std::string& name, DType dtype, int dim) -> const Tensor& {
    const auto it = std::find_if(arrays.begin(), arrays.end(), [&](const auto& a) { return a.first == name; });
    check(it != arrays.end(), where, "'", name, "' is missing (not a fashion_mnist_snn checkpoint?)");
    check(it->second.dtype() == dtype && it->second.dim() == dim, where, "'", name, "' is ", describe(it->second),
          ", expected ", dim == 0 ? "0-dim " : "1-dim ", dtype_name(dtype));
    return it->second;
  };
  // int64 values are read as int64: through a double, 2^63 − 1 would convert back out of range.
  auto int64s = [&](const std::string& name, int dim) {
    const Tensor& t = find(name, DType::int64, dim);
    const std::int64_t* v = t.data<std::int64_t>();
    return std::vector<std::int64_t>(v, v + t.numel());
  };
  Architecture arch;
  arch.in_features = int64s("config/in_features", 0)[0];
  arch.classes = int64s("config/classes", 0)[0];
  arch.hidden = int64s("config/hidden", 1);
  arch.dropout = find("config/dropout", DType::float64, 0).item();
  arch.input_dropout = find("config/input_dropout", DType::float64, 0).item();
  check(arch.in_features > 0 && arch.classes > 0, where, "config/in_features ", arch.in_features,
        " and config/classes ", arch.classes, " must be positive");
  return arch;
}

constexpr std::int64_t kSide = 28;  // Fashion-MNIST images are 28×28

// Mirrors, in place, the rows of raw images [b, 28·28] picked by `flip` (1 = mirror).
void mirror_rows(const Tensor& images, const Tensor& flip) {
  check(images.dim() == 2 && images.size(1) == kSide * kSide, "fashion_mnist_snn: mirroring needs images of ", kSide,
        "x", kSide, " = ", kSide * kSide, " pixels, got ", describe(images));
  float* x = images.data<float>();
  for (std::int64_t i = 0; i < images.size(0); ++i) {
    if (flip.data<float>()[i] == 0) continue;
    for (std::int64_t r = 0; r < kSide; ++r) std::reverse(x + (i * kSide + r) * kSide, x + (i * kSide + r + 1) * kSide);
  }
}

std::string hidden_str(const std::vector<std::int64_t>& hidden) {
  std::string s;
  for (std::int64_t h : hidden) s += (s.empty() ? "" : ",") + std::to_string(h);
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void check_options(const Options& o) {
  const char* me = "fashion_mnist_snn: ";
  check(o.epochs > 0, me, "--epochs must be positive, got ", o.epochs);
  check(o.lr > 0 && std::isfinite(o.lr), me, "--lr must be positive, got ", o.lr);
  check(o.momentum >= 0 && o.momentum < 1, me, "--momentum must be in [0, 1), got ", o.momentum);
  check(o.weight_decay >= 0, me, "--weight-decay must be >= 0, got ", o.weight_decay);
  check(o.batch_size > 0, me, "--batch must be positive, got ", o.batch_size);
  check(!o.arch.hidden.empty(), me, "--hidden needs at least one width");
  for (std::int64_t h : o.arch.hidden) check(h > 0, me, "--hidden widths must be positive, got ", h);
  check(o.arch.dropout >= 0 && o.arch.dropout < 1, me, "--dropout must be in [0, 1), got ", o.arch.dropout);
  check(o.arch.input_dropout >= 0 && o.arch.input_dropout < 1, me, "--input-dropout must be in [0, 1), got ",
        o.arch.input_dropout);
  check(o.valid >= 0, me, "--valid must be >= 0, got ", o.valid);
  check(o.checkpoint_every > 0, me, "--checkpoint-every must be positive, got ", o.checkpoint_every);
  // The size, before anything is allocated (a std::bad_alloc says nothing of --hidden).
  double parameters = 0, width = static_cast<double>(o.arch.in_features);
  for (std::int64_t h : o.arch.hidden) parameters += (width + 1) * static_cast<double>(h), width = static_cast<double>(h);
  parameters += (width + 1) * static_cast<double>(o.arch.classes);
  examples::check_parameters_fit("fashion_mnist_snn", parameters, cat("--hidden ", hidden_str(o.arch.hidden)));
}

// The images must be what the network takes (and what mirroring assumes), and a set to score must
// not be empty: its accuracy would be 0/0.
void check_data(const Dataset& data, const char* name, std::int64_t in_features) {
  check(data.num_features() == in_features, "fashion_mnist_snn: the ", name, " images in ", fashion_mnist_dir(),
        " have ", data.num_features(), " pixels, expected ", in_features, " (28x28)");
  check(data.size() > 0, "fashion_mnist_snn: the ", name, " set in ", fashion_mnist_dir(), " is empty");
}

// The scores a program prints are finite, or the run is an error.
void check_score(const Evaluation& score, const char* held_name) {
  const char* why = "the network's outputs are not finite (NaN or infinite weights?)";
  optim::check_finite_result("fashion_mnist_snn", cat(held_name, "_loss"), score.loss, why);
  optim::check_finite_result("fashion_mnist_snn", cat(held_name, "_accuracy"), score.accuracy, why);
}

int run_evaluate(const std::string& checkpoint) {
  // Everything the model and the inputs need is read and checked before the weights are loaded.
  const std::string where = cat("fashion_mnist_snn --evaluate: ", checkpoint, ": ");
  const NamedTensors arrays = load_npz(checkpoint);
  Options stored;
  stored.arch = architecture_from(arrays, where);
  check_options(stored);
  StandardScaler scaler;
  try {
    scaler = optim::scaler_from(arrays);
  } catch (const Error& e) {
    throw Error(where + e.what());
  }
  auto model = build_model(stored.arch, 0);
  const optim::TrainingState state = optim::load_checkpoint(checkpoint, *model, nullptr);
  const Dataset test_raw = load_fashion_mnist(Split::test);
  check_data(test_raw, "test", stored.arch.in_features);
  const Dataset test = scaler.transform(test_raw);
  const Evaluation score = evaluate(*model, test);
  check_score(score, "test");
  if (!dist::is_root_process()) return 0;  // every rank of an mpirun evaluates; one prints
  std::printf("checkpoint: %s  (hidden %s, dropout %g, input_dropout %g)\n", checkpoint.c_str(),
              hidden_str(stored.arch.hidden).c_str(), stored.arch.dropout, stored.arch.input_dropout);
  for (const auto& [name, value] : state.metrics)
    if (name == "test_accuracy") std::printf("recorded test_accuracy: %.4f\n", value);
  std::printf("test_loss: %.6f\n", score.loss);
  std::printf("test_accuracy: %.4f\n", score.accuracy);
  return 0;
}

int run_train(const Options& o) {
  const std::string checkpoint = o.checkpoint.empty() ? (fs::path(o.out) / "model.npz").string() : o.checkpoint;
  // Before the data is read: a bad --resume fails at once.
  const optim::ResumableRun run("fashion_mnist_snn", o.out, run_arguments(o, checkpoint), o.resume);
  for (const std::string& path : run.removed_temporaries()) std::printf("removed orphaned temporary %s\n", path.c_str());
  auto start = std::chrono::steady_clock::now();
  const bool validating = o.valid > 0;
  Dataset train = load_fashion_mnist(Split::train);
  check_data(train, "training", o.arch.in_features);
  check(o.valid < train.size(), "fashion_mnist_snn: --valid ", o.valid, " leaves no training examples");
  Dataset valid;
  if (validating) std::tie(train, valid) = random_split(train, train.size() - o.valid, o.seed);

  StandardScaler scaler;
  scaler.fit(train.features);
  // With flips the loader hands out raw images, mirrored and then standardised per batch.
  const Dataset train_scaled = o.flip ? train : scaler.transform(train);
  const Dataset held_out_raw = validating ? valid : load_fashion_mnist(Split::test);
  const char* held_name = validating ? "valid" : "test";
  check_data(held_out_raw, held_name, o.arch.in_features);
  const Dataset held_out = scaler.transform(held_out_raw);
  if (dist::is_root_process()) examples::check_writable("fashion_mnist_snn", checkpoint);  // now, not after training

  auto model = build_model(o.arch, o.seed);
  optim::SGD optimizer(model->parameters(),
                       {.lr = o.lr, .momentum = o.momentum, .weight_decay = o.weight_decay, .nesterov = o.momentum > 0});
  optim::CosineAnnealingLR schedule(optimizer, o.epochs);
  DataLoader loader(train_scaled, {.batch_size = o.batch_size, .shuffle = true, .drop_last = false, .seed = o.seed});
  Generator flip_gen(o.seed + 7777);
  // Under mpirun: data-parallel over the ranks (null in one process); rank 0 prints and writes.
  const std::unique_ptr<dist::DataParallel> ddp = dist::data_parallel_if_launched(*model);
  const bool root = dist::is_root_process();
  if (root) std::printf("%s\n", isa_report().c_str());  // which kernels made these figures
  if (root) std::cout << *model << "\n";
  if (root) std::printf("train %lld, %s %lld, %lld parameters, %d threads\n", static_cast<long long>(train.size()), held_name,
              static_cast<long long>(held_out.size()), static_cast<long long>(model->parameter_count()), num_threads());
  if (root && ddp) std::printf("data-parallel on %d ranks (%s)\n", ddp->ranks(), ddp->communicator().backend());

  // Validation runs score the held-out part every epoch; a final run looks at the test set once.
  optim::MetricsLog log((fs::path(o.out) / "metrics.csv").string(),
                        {"epoch", "lr", "train_loss", "valid_loss", "valid_accuracy", "seconds"});
  log.auto_flush = root;
  optim::Progress progress("fmnist snn", o.epochs, loader.num_batches(), o.batch_size);
  std::int64_t steps = 0;
  int first_epoch = 0;
  Tensor x;
  Evaluation last_valid;  // the held-out score after the latest epoch (validation runs)
  if (run.resumed()) {  // everything that decides the next update (Note [Resuming a run])
    const optim::TrainingState saved = run.restore(*model, &optimizer, &schedule);
    first_epoch = static_cast<int>(saved.epoch), steps = saved.step;
    for (const auto& [name, g] : saved.generators)
      if (name == "flip") flip_gen = g;
    for (const auto& [name, value] : saved.metrics) {
      if (name == "valid_loss") last_valid.loss = value;
      if (name == "valid_accuracy") last_valid.accuracy = value;
      if (name == "seconds") start -= std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(value));
    }
    log.restore(run.text("log/metrics_csv"));
    if (root) log.flush();
    if (root) std::printf("resumed %s after epoch %d of %d\n", run.path().c_str(), first_epoch, o.epochs);
  }
  for (int epoch = first_epoch; epoch < o.epochs; ++epoch) {
    const double lr = optimizer.lr();
    double total = 0;
    std::int64_t step = 0;  // in this epoch
    for (const Batch& batch : loader.batches(epoch)) {
      x = batch.x;
      if (o.flip) {
        mirror_rows(batch.x, bernoulli({batch.x.size(0)}, 0.5, flip_gen));
        x = scaler.transform(batch.x);
      }
      optimizer.zero_grad();
      const Tensor loss = dist::backward_step(ddp.get(), x, batch.y, [&](const Tensor& xs, const Tensor& ys) {
        return cross_entropy((*model)(xs), ys);
      });
      optimizer.step();
      const double value = optim::check_finite_loss("fashion_mnist_snn", loss.item(), epoch + 1, ++step);
      total += value;
      if (root) progress.step(value);
      ++steps;
    }
    schedule.step();
    const double train_loss = total / static_cast<double>(loader.num_batches());
    std::string summary = cat("lr ", lr);
    std::vector<std::string> row{std::to_string(epoch + 1), optim::MetricsLog::number(lr),
                                 optim::MetricsLog::number(train_loss), "", "", ""};
    if (validating) {
      const Evaluation s = evaluate(*model, held_out);
      check_score(s, held_name);
      last_valid = s;
      summary += cat("  valid_loss ", s.loss, "  valid_acc ", s.accuracy);
      row[3] = optim::MetricsLog::number(s.loss), row[4] = optim::MetricsLog::number(s.accuracy);
    }
    row[5] = optim::MetricsLog::number(seconds_since(start));
    log.record(row);
    if (root) progress.end_epoch(epoch + 1, train_loss, summary);
    if (root && optim::ResumableRun::due(epoch + 1, o.checkpoint_every, o.epochs)) {
      NamedTensors extras = checkpoint_extras(o, scaler);
      extras.emplace_back("log/metrics_csv", optim::text_tensor(log.csv()));
      run.save(*model, &optimizer,
               {.epoch = epoch + 1, .step = steps, .seed = o.seed, .generators = {{"flip", flip_gen}},
                .metrics = {{"valid_loss", last_valid.loss}, {"valid_accuracy", last_valid.accuracy},
                            {"seconds", seconds_since(start)}},
                .extras = std::move(extras)},
               &schedule);
    }
  }

  // A validation run has just scored the held-out part after its last epoch; a final run scores
  // the test set once, here.
  const Evaluation final_score = validating ? last_valid : evaluate(*model, held_out);
  check_score(final_score, held_name);
  const double wall = seconds_since(start);
  if (!root) return 0;
  optim::TrainingState state{.epoch = o.epochs, .step = steps, .seed = o.seed, .generators = {},
                             .metrics = {{cat(held_name, "_accuracy"), final_score.accuracy},
                                         {cat(held_name, "_loss"), final_score.loss}},
                             .extras = checkpoint_extras(o, scaler)};
  optim::save_checkpoint(checkpoint, *model, &optimizer, state, &schedule);
  run.finish();

  std::printf("checkpoint: %s\n", checkpoint.c_str());
  std::printf("wall_time: %.1f s (%s)\n", wall, optim::format_duration(wall).c_str());
  std::printf("%s_loss: %.6f\n", held_name, final_score.loss);
  std::printf("%s_accuracy: %.4f\n", held_name, final_score.accuracy);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A self-normalising network (SELU, lecun_normal, alpha-dropout) on Fashion-MNIST."};
  app.option_defaults()->always_capture_default();
  Options o;
  app.add_option("--epochs", o.epochs, "training epochs (cosine schedule over all of them)");
  app.add_option("--lr", o.lr, "initial SGD learning rate");
  app.add_option("--momentum", o.momentum, "Nesterov momentum (0 = plain SGD)");
  app.add_option("--weight-decay", o.weight_decay, "L2 weight decay");
  app.add_option("--batch", o.batch_size, "mini-batch size");
  app.add_option("--hidden", o.arch.hidden, "hidden layer widths, e.g. 512,512,512")->delimiter(',');
  app.add_option("--dropout", o.arch.dropout, "alpha-dropout rate after each hidden layer");
  app.add_option("--input-dropout", o.arch.input_dropout, "alpha-dropout rate on the inputs");
  app.add_flag_callback("--no-flip", [&o] { o.flip = false; },
                        "do not augment (by default training images are mirrored left-right at random)");
  app.add_option("--seed", o.seed, "seed for weights, dropout, shuffling and the validation split");
  app.add_option("--valid", o.valid, "hold out this many training examples for validation; the test set is not used");
  app.add_option("--out", o.out, "directory for metrics.csv (and the default checkpoint)");
  app.add_option("--checkpoint", o.checkpoint, "where to save the model (default <out>/model.npz)");
  app.add_option("--checkpoint-every", o.checkpoint_every, "save the run's state to <out>/resume.npz every N epochs");
  app.add_flag("--resume", o.resume, "continue the killed run in --out (started with the same other arguments)");
  app.add_option("--evaluate", o.evaluate, "load this checkpoint and evaluate it on the test set only")
      ->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);

  try {
    check_options(o);
    return o.evaluate.empty() ? run_train(o) : run_evaluate(o.evaluate);
  } catch (const std::bad_alloc&) {  // what check_options could not foresee
    std::fprintf(stderr, "error: fashion_mnist_snn: out of memory (std::bad_alloc): try smaller --hidden or --batch\n");
    return 1;
  } catch (const std::exception& e) {  // tg::Error, or a filesystem error writing --out
    dist::abort_job_if_distributed(cat("error: ", e.what()));
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
