// uci_benchmark: the SNN paper's UCI comparison (Klambauer et al. 2017, Table 1) as one command
// (docs/uci.md). Seven feed-forward methods (nn/models.h) on the UCI tasks of datasets/uci.h.
//
//   build/bin/uci_benchmark --list                      the catalogue, one task a line
//   build/bin/uci_benchmark --out runs/uci              the quick preset, every task, seven methods
//   build/bin/uci_benchmark --preset paper --jobs 2     the full grids
//   mpirun -np 8 build/bin/uci_benchmark --preset paper  the same, spread over MPI ranks
//   python3 tools/uci_report.py runs/uci                ranks, Wilcoxon tests, SVC/RF, table, plot
//
// Note [The protocol]
// ~~~~~~~~~~~~~~~~~~~
// Per task, kFolds stratified folds from --seed (datasets/dataset.h). Fold k tests on its test part;
// its training part is split once more, stratified, into a fit part and a validation part of 15 %
// (the paper's fraction). The TabularEncoder (imputation, one-hot, standardisation) is fitted on the
// fit part only. A job is (task, method, fold): it trains every configuration of the method's grid
// on the fit part with plain SGD, scores the validation part after each epoch, and stops early on
// the moving average of the validation accuracy (optim::EarlyStopping, best weights restored). The
// configuration with the best moving average is selected (ties: the first in grid order); a run
// whose loss turns NaN or infinite is recorded as diverged and is never selected. Only the selected
// model is scored on the test part — once. A job whose every run diverged has no test accuracy.
//
// Note [Same results whatever --jobs]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Every seed a job uses is a hash of (--seed, task, fold, configuration) — never of the order jobs
// run in — and each job runs on one thread with that thread's own tape (autograd/tape.h). Kernels
// called from a job thread while the worker pool serves another job run on the calling thread
// alone (tensor/parallel.h), and every kernel's result is independent of the thread count. So a job
// gives the same bits under --jobs 1 or 2 and any OMP_NUM_THREADS, and a resumed run the same
// results as an uninterrupted one.
//
// Note [The results file]
// ~~~~~~~~~~~~~~~~~~~~~~~
// <out>/run.json records the arguments that decide the results (preset, seed, tasks, methods, the
// grids' sizes); a later run with the same --out must have the same ones, or it is an error naming
// them. <out>/results.jsonl gets one line per finished job: the complete line is written with one
// write(2) on an O_APPEND descriptor and fsync'ed before the next job's line. A run killed while
// writing leaves at most a torn final line (no newline, or not JSON); the next run drops it (and
// truncates it away), then skips every job already in the file. When every job is done, the lines
// sorted by (task, method, fold), without their timings, go to <out>/results.json (atomically): two
// runs of the same arguments give the same results.json byte for byte. <out>/splits/<task>.npz holds
// each fold's row indices and encoded features, for the report's scikit-learn models.
//
// Note [Spread over MPI ranks]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Under mpirun (or srun) the jobs go to every rank through dist::run_jobs (train/job_queue.h):
// rank 0 hands out the next job to whichever worker thread of whichever rank asks first, and gets
// every job's line back. Rank 0 alone reads and writes --out (run.json, the results file, the
// splits); it broadcasts which jobs are already done, and every rank prepares every task's data
// (seconds) and builds the same job list from it. A job's seeds do not depend on the rank that runs
// it (Note [Same results whatever --jobs]), so results.json is the one-process run's, byte for
// byte, and a run killed under R ranks resumes under R' ranks or none. An error on any rank ends
// every rank with its message (dist::abort_job_if_distributed).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "datasets/uci.h"
#include "nn/models.h"
#include "optim/scheduler.h"
#include "tapegrad.h"
#include "tensor/atomic_file.h"
#include "tensor/npz.h"
#include "train/early_stopping.h"
#include "train/distributed.h"
#include "train/evaluate.h"
#include "train/job_queue.h"
#include "train/progress.h"

using namespace tg;
using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

constexpr int kFolds = 4;                   // as Fernández-Delgado et al. evaluate (docs/uci.md)
constexpr double kValidFraction = 0.15;     // the paper's validation share of the training data
constexpr std::int64_t kBatchSize = 64;
constexpr int kFormat = 1;                  // of run.json and results.jsonl

struct Config {
  nn::ModelSpec spec;
  double lr = 0.01;
};

struct Preset {
  std::string name;
  int epochs = 0, patience = 0, window = 0;
  std::int64_t max_samples = 0;  // tasks with more samples are left out of the default task list (0: none)
  std::vector<Config> (*grid)(nn::Method) = nullptr;
};

// Every combination of the factors, in the order written (the last factor varies fastest).
std::vector<Config> combine(nn::Method method, const std::vector<int>& layers, const std::vector<std::int64_t>& units,
                            const std::vector<double>& lrs, const std::vector<double>& dropouts,
                            const std::vector<nn::WidthShape>& shapes, const std::vector<int>& block_layers = {2},
                            const std::vector<nn::BlockShape>& blocks = {nn::BlockShape::rectangular}) {
  std::vector<Config> out;
  for (int l : layers)
    for (std::int64_t u : units)
      for (nn::WidthShape s : shapes)
        for (int bl : block_layers)
          for (nn::BlockShape b : blocks)
            for (double d : dropouts)
              for (double lr : lrs) {
                nn::ModelSpec spec{.method = method, .layers = l, .units = u, .shape = s, .dropout = d};
                if (method == nn::Method::resnet) spec.block_layers = bl, spec.block = b;
                out.push_back({spec, lr});
              }
  return out;
}

constexpr nn::WidthShape kRect = nn::WidthShape::rectangular, kConic = nn::WidthShape::conic;

// The paper's SNN grid (216 runs); the other methods get grids of the same breadth (docs/uci.md).
std::vector<Config> paper_grid(nn::Method m) {
  const std::vector<std::int64_t> units{1024, 512, 256};
  const std::vector<double> lrs{0.01, 0.1, 1};
  switch (m) {
    case nn::Method::snn: return combine(m, {2, 3, 4, 8, 16, 32}, units, lrs, {0.05, 0}, {kRect, kConic});
    case nn::Method::resnet:
      return combine(m, {2, 3, 4, 8, 16}, units, lrs, {0}, {kRect}, {2, 3},
                     {nn::BlockShape::rectangular, nn::BlockShape::diavolo});
    default: return combine(m, {2, 3, 4, 8, 16, 32}, units, lrs, {0.2, 0}, {kRect, kConic});
  }
}

// Four runs a method: a shallow and a deep net at two learning rates, 256 units.
std::vector<Config> quick_grid(nn::Method m) {
  if (m == nn::Method::resnet) return combine(m, {2, 4}, {256}, {0.01, 0.1}, {0}, {kRect});
  return combine(m, {2, 8}, {256}, {0.01, 0.1}, {0}, {kRect});
}

// For the tests: two tiny runs a method.
std::vector<Config> smoke_grid(nn::Method m) { return combine(m, {2}, {16}, {0.01, 0.1}, {0}, {kRect}); }

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all{
      {"smoke", 3, 2, 1, 0, smoke_grid},
      {"quick", 30, 5, 5, 5000, quick_grid},
      {"paper", 100, 10, 10, 0, paper_grid},
  };
  return all;
}

const Preset& preset_named(const std::string& name) {
  for (const Preset& p : presets())
    if (p.name == name) return p;
  throw Error(cat("uci_benchmark: no preset '", name, "' (smoke, quick, paper)"));
}

// ---- seeds (Note [Same results whatever --jobs]) ----

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {  // splitmix64 of h ⊕ v
  std::uint64_t z = h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t mix(std::uint64_t h, std::string_view s) {  // FNV-1a of s, then mixed in
  std::uint64_t f = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) f = (f ^ c) * 0x100000001b3ULL;
  return mix(h, f);
}

// ---- the data of one task: folds, encoders, encoded parts ----

struct Fold {
  std::vector<std::int64_t> fit, valid, test;  // rows of the task
  Dataset fit_part, valid_part, test_part;
};

struct TaskData {
  const UciTask* task = nullptr;
  std::int64_t features = 0, classes = 0;
  std::vector<Fold> folds;
};

std::vector<std::int64_t> pick(const std::vector<std::int64_t>& rows, const std::vector<std::int64_t>& at) {
  std::vector<std::int64_t> out;
  out.reserve(at.size());
  for (std::int64_t i : at) out.push_back(rows[static_cast<std::size_t>(i)]);
  std::sort(out.begin(), out.end());
  return out;
}

TaskData prepare(const UciTask& task, const std::string& dir, std::uint64_t seed) {
  const UciData data = load_uci(task, dir);
  TaskData out{.task = &task, .features = 0, .classes = task.classes, .folds = {}};
  const std::uint64_t task_seed = mix(seed, task.name);
  const std::vector<SplitIndices> folds = stratified_kfold(data.labels, kFolds, task_seed);
  const std::int64_t* y = data.labels.data<std::int64_t>();
  for (std::size_t k = 0; k < folds.size(); ++k) {
    const std::vector<std::int64_t>& train = folds[k].train;
    std::vector<std::int64_t> ys;
    for (std::int64_t r : train) ys.push_back(y[r]);
    const SplitIndices inner = stratified_split_indices(labels(ys), kValidFraction, mix(task_seed, k));
    Fold f;
    f.fit = pick(train, inner.train), f.valid = pick(train, inner.test), f.test = folds[k].test;
    const TabularEncoder encoder = data.fit_encoder(f.fit);
    f.fit_part = data.rows(encoder, f.fit);
    f.valid_part = data.rows(encoder, f.valid);
    f.test_part = data.rows(encoder, f.test);
    out.features = encoder.num_features();
    out.folds.push_back(std::move(f));
  }
  return out;
}

// The splits and encoded features, for the report's scikit-learn models (Note [The results file]).
void export_splits(const TaskData& t, const fs::path& path) {
  NamedTensors arrays;
  for (std::size_t k = 0; k < t.folds.size(); ++k) {
    const Fold& f = t.folds[k];
    const std::string p = cat("fold", k, "_");
    arrays.push_back({p + "fit_rows", labels(f.fit)});
    arrays.push_back({p + "valid_rows", labels(f.valid)});
    arrays.push_back({p + "test_rows", labels(f.test)});
    arrays.push_back({p + "x_fit", f.fit_part.features});
    arrays.push_back({p + "y_fit", f.fit_part.labels});
    arrays.push_back({p + "x_valid", f.valid_part.features});
    arrays.push_back({p + "y_valid", f.valid_part.labels});
    arrays.push_back({p + "x_test", f.test_part.features});
    arrays.push_back({p + "y_test", f.test_part.labels});
  }
  save_npz(path.string(), arrays);
}

// ---- one job: a method's grid on one fold (Note [The protocol]) ----

struct Job {
  std::size_t task = 0;  // into the run's tasks
  nn::Method method{};
  int fold = 0;
  double weight = 0;  // relative cost, for the ETA
};

std::string job_key(const std::string& task, std::string_view method, int fold) {
  return cat(task, "/", method, "/", fold);
}

struct Trial {
  Config config;
  bool diverged = false;
  double score = -1;      // best moving average of the validation accuracy
  std::int64_t epoch = 0; // the epoch whose weights were kept
};

json run_job(const TaskData& t, const Job& job, const Preset& preset, std::uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  const Fold& fold = t.folds[static_cast<std::size_t>(job.fold)];
  const std::vector<Config> grid = preset.grid(job.method);
  std::vector<Trial> trials;
  std::shared_ptr<nn::Sequential> best_model;
  std::size_t best = grid.size();
  for (const Config& config : grid) {
    const std::uint64_t run_seed =
        mix(mix(mix(mix(seed, t.task->name), static_cast<std::uint64_t>(job.fold)), config.spec.str()),
            static_cast<std::uint64_t>(std::llround(config.lr * 1e6)));
    auto model = nn::build_model(config.spec, t.features, t.classes, run_seed);
    optim::SGD optimizer(model->parameters(), {.lr = config.lr});
    // BatchNorm cannot estimate a variance from one row: its nets skip a final batch of one.
    const bool has_batch_norm = job.method == nn::Method::batchnorm || job.method == nn::Method::resnet;
    const bool drop_last = has_batch_norm && fold.fit_part.size() % kBatchSize == 1;
    DataLoader loader(fold.fit_part, {.batch_size = kBatchSize, .shuffle = true, .drop_last = drop_last,
                                      .seed = mix(run_seed, 1)});
    optim::EarlyStopping stopper(*model, {.patience = preset.patience, .min_delta = 0, .mode = optim::Mode::max,
                                          .window = preset.window, .restore_best = true});
    Trial trial{.config = config};
    Tensor x, y;
    for (int epoch = 0; epoch < preset.epochs && !trial.diverged; ++epoch) {
      model->train();
      for (const Batch& batch : loader.batches(epoch)) {
        Tensor loss = cross_entropy((*model)(batch.x), batch.y);
        optimizer.zero_grad();
        backward(loss);
        if (!std::isfinite(loss.item())) {
          trial.diverged = true;
          break;
        }
        optimizer.step();
      }
      if (trial.diverged) break;
      const Evaluation v = evaluate(*model, fold.valid_part);
      if (!std::isfinite(v.loss)) {
        trial.diverged = true;
        break;
      }
      if (stopper.step(v.accuracy)) break;
    }
    if (!trial.diverged && stopper.best_epoch() > 0) {
      trial.score = stopper.best();
      trial.epoch = stopper.best_epoch();
      if (best == grid.size() || trial.score > trials[best].score) {
        stopper.restore_best_weights();
        best = trials.size();
        best_model = model;
      }
    }
    trials.push_back(trial);
  }

  json line;
  line["task"] = t.task->name;
  line["method"] = std::string(nn::method_name(job.method));
  line["fold"] = job.fold;
  std::int64_t diverged = 0;
  for (const Trial& tr : trials) diverged += tr.diverged;
  line["runs"] = trials.size();
  line["diverged"] = diverged;
  if (best_model) {
    const Trial& b = trials[best];
    line["spec"] = b.config.spec.str();
    line["lr"] = b.config.lr;
    line["epochs"] = b.epoch;
    line["depth"] = b.config.spec.layers;
    line["valid_score"] = b.score;  // the moving average it was selected on
    line["valid_accuracy"] = evaluate(*best_model, fold.valid_part).accuracy;
    line["test_accuracy"] = evaluate(*best_model, fold.test_part).accuracy;  // the one look at the test part
  } else {
    for (const char* field : {"spec", "lr", "epochs", "depth", "valid_score", "valid_accuracy", "test_accuracy"})
      line[field] = nullptr;
  }
  json all = json::array();
  for (const Trial& tr : trials) {
    json r;
    r["spec"] = tr.config.spec.str();
    r["lr"] = tr.config.lr;
    if (tr.diverged) {
      r["diverged"] = true;
    } else {
      r["valid_score"] = tr.score;
      r["epochs"] = tr.epoch;
    }
    all.push_back(r);
  }
  line["trials"] = all;
  line["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return line;
}

// ---- the results file (Note [The results file]) ----

class ResultsLog {
 public:
  /// Opens (creating) path, drops a torn final line, and returns the lines already there.
  explicit ResultsLog(const fs::path& path) : path_(path) {
    std::string text;
    if (fs::exists(path)) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      text = s.str();
    }
    std::size_t pos = 0, good = 0;
    while (pos < text.size()) {
      const std::size_t end = text.find('\n', pos);
      const bool last = end == std::string::npos;
      const std::string line = text.substr(pos, last ? std::string::npos : end - pos);
      json parsed = json::parse(line, nullptr, false);
      const bool ok = !parsed.is_discarded() && parsed.is_object() && parsed.contains("task") &&
                      parsed.contains("method") && parsed.contains("fold");
      if (last || !ok) {
        // A kill can tear the final line only (no newline, or cut short); a bad line before the
        // last is damage that must not be papered over.
        check(last || end + 1 == text.size(), "uci_benchmark: ", path.string(), ": line ", lines_.size() + 1,
              " is not a job record; the file is damaged (move it away to start afresh)");
        dropped_ = true;
        break;
      }
      lines_.push_back(std::move(parsed));
      pos = end + 1;
      good = pos;
    }
    if (dropped_) fs::resize_file(path, good);
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    check(fd_ >= 0, "uci_benchmark: cannot open ", path.string(), " for appending");
  }
  ~ResultsLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  ResultsLog(const ResultsLog&) = delete;
  ResultsLog& operator=(const ResultsLog&) = delete;

  const std::vector<json>& lines() const { return lines_; }
  bool dropped_torn_line() const { return dropped_; }

  /// Appends one complete line and fsyncs it; thread-safe.
  void append(const json& line) {
    const std::string text = line.dump() + "\n";
    std::lock_guard lock(mutex_);
    const ssize_t n = ::write(fd_, text.data(), text.size());
    check(n == static_cast<ssize_t>(text.size()), "uci_benchmark: writing ", path_.string(), " failed");
    check(::fsync(fd_) == 0, "uci_benchmark: fsync of ", path_.string(), " failed");
    lines_.push_back(line);
  }

 private:
  fs::path path_;
  std::vector<json> lines_;
  bool dropped_ = false;
  int fd_ = -1;
  std::mutex mutex_;
};

// The arguments that decide the results (Note [The results file]).
json run_record(const Preset& p, std::uint64_t seed, const std::vector<std::string>& tasks,
                const std::vector<std::string>& methods) {
  json r;
  r["program"] = "uci_benchmark";
  r["format"] = kFormat;
  r["preset"] = p.name;
  r["seed"] = seed;
  r["tasks"] = tasks;
  r["methods"] = methods;
  r["folds"] = kFolds;
  r["valid_fraction"] = kValidFraction;
  r["batch_size"] = kBatchSize;
  r["epochs"] = p.epochs;
  r["patience"] = p.patience;
  r["window"] = p.window;
  json grids;
  for (const std::string& m : methods) grids[m] = p.grid(nn::parse_method(m)).size();
  r["grid_sizes"] = grids;
  return r;
}

void check_same_run(const json& old_run, const json& run, const fs::path& path) {
  std::vector<std::string> differ;
  for (const auto& [key, value] : run.items())
    if (!old_run.contains(key) || old_run[key] != value)
      differ.push_back(cat(key, ": ", old_run.contains(key) ? old_run[key].dump() : "absent", " there, ",
                           value.dump(), " now"));
  if (differ.empty()) return;
  std::string message = cat("uci_benchmark: ", path.string(), " records a different run (");
  for (std::size_t i = 0; i < differ.size(); ++i) message += (i ? "; " : "") + differ[i];
  throw Error(message + "); use another --out, or the same arguments to resume it");
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    std::stringstream s(item);
    std::string part;
    while (std::getline(s, part, ','))
      if (!part.empty()) out.push_back(part);
  }
  return out;
}

void print_catalogue() {
  std::printf("%-30s %8s %8s %8s  %s\n", "task", "samples", "features", "classes", "source");
  for (const UciTask& t : uci_tasks())
    std::printf("%-30s %8lld %8lld %8lld  %s: %s%s\n", t.name.c_str(), static_cast<long long>(t.samples),
                static_cast<long long>(t.features), static_cast<long long>(t.classes), t.package.c_str(),
                t.origin.c_str(), t.generated ? " (generated)" : "");
}

// Jobs done / to do, elapsed and ETA by cost weight; one redrawn line on a terminal, else a line
// every 15 s.
class JobProgress {
 public:
  JobProgress(std::size_t total, double total_weight)
      : total_(total), total_weight_(total_weight), tty_(::isatty(STDERR_FILENO) != 0),
        start_(std::chrono::steady_clock::now()) {}
  void done(double weight, const std::string& what) {
    std::lock_guard lock(mutex_);
    ++done_;
    done_weight_ += weight;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (!tty_ && elapsed - last_ < 15 && done_ != total_) return;
    last_ = elapsed;
    const double eta = done_weight_ > 0 ? elapsed * (total_weight_ - done_weight_) / done_weight_ : 0;
    const int width = 30, filled = static_cast<int>(width * done_weight_ / std::max(total_weight_, 1e-12));
    std::string bar(static_cast<std::size_t>(std::clamp(filled, 0, width)), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "%s[%s] %zu/%zu jobs  %s elapsed  ETA %s  (%s)%s", tty_ ? "\r\033[K" : "", bar.c_str(), done_,
                 total_, optim::format_duration(elapsed).c_str(), optim::format_duration(eta).c_str(), what.c_str(),
                 tty_ && done_ != total_ ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  std::size_t total_, done_ = 0;
  double total_weight_, done_weight_ = 0, last_ = -1e9;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
};

struct Options {
  bool list = false, resume = false;
  std::string preset = "quick", out = "runs/uci_benchmark", data_dir;
  std::vector<std::string> tasks, methods;
  std::uint64_t seed = 0;
  int jobs = 0;                  // 0: this process's share of the cores (dist::cores_per_local_rank)
  std::int64_t stop_after = -1;  // for the tests: run this many jobs, then exit as if killed
  std::string fail_on;           // for the tests: this job (task/method/fold) throws
};

int run(const Options& o) {
  if (o.list) {
    print_catalogue();
    return 0;
  }
  const Preset& preset = preset_named(o.preset);
  std::vector<std::string> tasks = split_list(o.tasks), methods = split_list(o.methods);
  if (tasks.empty())
    for (const UciTask& t : uci_tasks())
      if (preset.max_samples == 0 || t.samples <= preset.max_samples) tasks.push_back(t.name);
  if (methods.empty())
    for (nn::Method m : nn::all_methods()) methods.emplace_back(nn::method_name(m));
  for (const std::string& t : tasks) uci_task(t);  // throws naming the known tasks
  for (const std::string& m : methods) nn::parse_method(m);
  check(std::set(tasks.begin(), tasks.end()).size() == tasks.size(), "uci_benchmark: --tasks names a task twice");
  check(std::set(methods.begin(), methods.end()).size() == methods.size(),
        "uci_benchmark: --methods names a method twice");

  // Note [Spread over MPI ranks]: rank 0 alone reads and writes --out; every rank prepares the data.
  dist::Communicator& comm = dist::world();
  const bool root = comm.rank() == 0;
  dist::share_cores_with_local_ranks();
  const int jobs = o.jobs > 0 ? o.jobs : dist::cores_per_local_rank();
  const fs::path out(o.out);
  const json record = run_record(preset, o.seed, tasks, methods);
  std::unique_ptr<ResultsLog> log;
  std::set<std::string> finished;
  if (root) {
    const fs::path run_path = out / "run.json";
    if (fs::exists(run_path)) {
      std::ifstream in(run_path);
      const json old_run = json::parse(in, nullptr, false);
      check(!old_run.is_discarded(), "uci_benchmark: ", run_path.string(), " is not JSON");
      check_same_run(old_run, record, run_path);
    } else {
      check(!o.resume, "uci_benchmark: --resume: ", run_path.string(), " does not exist (nothing to resume)");
      fs::create_directories(out);
      write_file_atomically(run_path.string(), record.dump(2) + "\n");
    }
    fs::create_directories(out / "splits");
    log = std::make_unique<ResultsLog>(out / "results.jsonl");
    if (log->dropped_torn_line()) std::fprintf(stderr, "uci_benchmark: dropped a torn final line of results.jsonl\n");
    for (const json& line : log->lines())
      finished.insert(
          job_key(line["task"].get<std::string>(), line["method"].get<std::string>(), line["fold"].get<int>()));
  }

  const std::string dir = o.data_dir.empty() ? uci_data_dir() : o.data_dir;
  std::vector<TaskData> data;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const UciTask& task = uci_task(tasks[i]);
    data.push_back(prepare(task, dir, o.seed));
    const fs::path splits = out / "splits" / (task.name + ".npz");
    if (root && !fs::exists(splits)) export_splits(data.back(), splits);
  }
  // Which jobs are done, in (task, method, fold) order: rank 0 read it, every rank needs it.
  const std::size_t total_jobs = tasks.size() * methods.size() * kFolds;
  std::vector<std::uint8_t> done(total_jobs, 0);
  for (std::size_t i = 0, n = 0; i < tasks.size(); ++i)
    for (const std::string& m : methods)
      for (int k = 0; k < kFolds; ++k, ++n) done[n] = finished.contains(job_key(tasks[i], m, k));
  comm.broadcast(done.data(), done.size(), 0);
  std::vector<Job> todo;
  for (std::size_t i = 0, n = 0; i < tasks.size(); ++i)
    for (const std::string& m : methods)
      for (int k = 0; k < kFolds; ++k, ++n)
        if (!done[n])
          todo.push_back({i, nn::parse_method(m), k,
                          static_cast<double>(data[i].folds[0].fit_part.size()) *
                              static_cast<double>(preset.grid(nn::parse_method(m)).size())});
  // Expensive jobs first, so the last ones to finish are short; the order changes no result.
  std::stable_sort(todo.begin(), todo.end(), [](const Job& a, const Job& b) { return a.weight > b.weight; });
  if (root) {
    std::printf("uci_benchmark: preset %s, %zu tasks x %zu methods x %d folds = %zu jobs, %zu done, %zu to run, "
                "%d at a time%s\n",
                preset.name.c_str(), tasks.size(), methods.size(), kFolds, total_jobs, total_jobs - todo.size(),
                todo.size(), jobs * comm.ranks(),
                comm.ranks() > 1 ? cat(" (", comm.ranks(), " MPI ranks x ", jobs, ")").c_str() : "");
    std::fflush(stdout);
  }

  const std::size_t limit = o.stop_after >= 0 ? std::min<std::size_t>(todo.size(), o.stop_after) : todo.size();
  double weight = 0;
  for (std::size_t i = 0; i < limit; ++i) weight += todo[i].weight;
  JobProgress progress(limit, weight);
  // Note [Spread over MPI ranks]: this rank's workers and, on rank 0, every rank's results.
  dist::run_jobs(
      comm, static_cast<std::int64_t>(limit), jobs,
      [&](std::int64_t i) {
        const Job& job = todo[static_cast<std::size_t>(i)];
        const std::string key = job_key(tasks[job.task], nn::method_name(job.method), job.fold);
        try {
          check(key != o.fail_on, "fails on purpose (--fail-on)");
          json line = run_job(data[job.task], job, preset, o.seed);
          line["rank"] = comm.rank();
          return line.dump();
        } catch (const std::exception& e) {
          throw Error(cat("uci_benchmark: ", key, ": ", e.what()));
        }
      },
      [&](std::int64_t i, const std::string& line) {
        const Job& job = todo[static_cast<std::size_t>(i)];
        log->append(json::parse(line));
        progress.done(job.weight, job_key(tasks[job.task], nn::method_name(job.method), job.fold));
      });
  if (!root) return 0;

  if (log->lines().size() < total_jobs) {
    std::printf("uci_benchmark: stopped after %zu jobs (--stop-after); run again with the same --out to finish\n",
                limit);
    return 0;
  }
  // Note [The results file]: the canonical, sorted results.
  std::vector<json> lines = log->lines();
  std::map<std::string, std::size_t> rank_of;
  for (std::size_t i = 0; i < tasks.size(); ++i) rank_of[tasks[i]] = i;
  std::map<std::string, std::size_t> method_rank;
  for (std::size_t i = 0; i < methods.size(); ++i) method_rank[methods[i]] = i;
  std::sort(lines.begin(), lines.end(), [&](const json& a, const json& b) {
    return std::tuple(rank_of[a["task"]], method_rank[a["method"]], a["fold"].get<int>()) <
           std::tuple(rank_of[b["task"]], method_rank[b["method"]], b["fold"].get<int>());
  });
  json results = json::array();
  for (json& line : lines) {
    line.erase("seconds");  // nor the rank that ran it
    line.erase("rank");
    results.push_back(line);
  }
  json summary;
  summary["run"] = record;
  json catalogue = json::array();
  for (const TaskData& t : data)
    catalogue.push_back({{"task", t.task->name}, {"samples", t.task->samples}, {"features", t.features},
                         {"classes", t.classes}, {"generated", t.task->generated},
                         {"source", cat(t.task->package, ": ", t.task->origin)}});
  summary["tasks"] = catalogue;
  summary["results"] = results;
  write_file_atomically((out / "results.json").string(), summary.dump(1) + "\n");
  std::printf("uci_benchmark: %zu jobs in %s; report: python3 tools/uci_report.py %s\n", total_jobs,
              (out / "results.json").string().c_str(), out.string().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The SNN paper's UCI comparison: seven feed-forward methods, per-method grids, 4 stratified folds "
               "(docs/uci.md)"};
  Options o;
  app.add_flag("--list", o.list, "print the task catalogue (name, samples, features, classes, source) and exit");
  app.add_option("--preset", o.preset, "grids, epochs and default tasks: smoke (tests), quick, paper")
      ->capture_default_str()
      ->check(CLI::IsMember({"smoke", "quick", "paper"}));
  app.add_option("--tasks", o.tasks, "tasks to run (comma-separated; default: the preset's)")->delimiter(',');
  app.add_option("--methods", o.methods, "methods to run (comma-separated; default: all seven)")->delimiter(',');
  app.add_option("--seed", o.seed, "seed of the folds and of every run")->capture_default_str();
  app.add_option("--jobs", o.jobs, "jobs run at once by this process, each on its own thread (default: its share of "
                                   "the cores; under mpirun, per rank)")
      ->check(CLI::Range(1, 256));
  app.add_option("--out", o.out, "results folder; an existing one is resumed")->capture_default_str();
  app.add_flag("--resume", o.resume, "require --out to hold a run to resume");
  app.add_option("--data-dir", o.data_dir, "converted UCI files (default: $TG_UCI_DIR or data/uci)");
  app.add_option("--stop-after", o.stop_after, "run this many jobs, then stop (for tests)")->group("");
  app.add_option("--fail-on", o.fail_on, "this job (task/method/fold) throws (for tests)")->group("");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    dist::abort_job_if_distributed(e.what());  // under mpirun: ends every rank with the message
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
