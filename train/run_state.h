// ResumableRun: a long program's whole state in <out>/resume.npz, so `--resume` continues a killed
// run and ends with the files an uninterrupted run writes.
//
// Note [Resuming a run]
// ~~~~~~~~~~~~~~~~~~~~~
// A program opens a ResumableRun in its output folder with the arguments that decide its results
// (flag → value as text). Every few epochs it calls save(): one checkpoint (train/checkpoint.h)
// holding the model, the optimizer and the schedule, the epoch and step counters, every generator
// the loop owns (the data loader needs none: Note [Epoch order]), and as extras the program's
// own state — the rows of its CSVs so far as text (text_tensor), partial results — plus
// "resume/program" and "resume/arguments". The file is written atomically, so a kill leaves the
// previous state or the new one. When the outputs are complete, finish() removes it.
//
// A run restarted with --resume finds the file, refuses it if it is another program's or was
// started with other arguments (a tg::Error naming each differing flag), restores everything and
// rewrites the CSVs from the saved rows before training on: rows a killed process wrote after its
// last save are dropped and recomputed, the same bits, since every input of the next update is in
// the file. Without --resume an unfinished run in the folder is an error that suggests --resume
// (days of training are not overwritten by a typo); with --resume and no file the run starts from
// the beginning. Either way, temporaries a killed save left behind are removed first.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "train/checkpoint.h"

namespace tg::optim {

/// The arguments that decide a run's results, e.g. {{"--epochs", "30"}, {"--lr", exact(0.02)}}.
using RunArguments = std::vector<std::pair<std::string, std::string>>;

/// A double as text that reads back to the same bits ("%.17g").
std::string exact(double value);

/// Text as an int64 tensor, for an npz: [length in bytes, then the bytes packed 8 per element].
Tensor text_tensor(std::string_view text);
/// The text of a text_tensor; a tg::Error naming `what` if `t` is not one.
std::string text_from_tensor(const Tensor& t, std::string_view what);

class ResumableRun {
 public:
  /// Opens the run of `program` in `dir` (created if missing): removes orphaned temporaries there,
  /// then, if <dir>/resume.npz exists, reads it when `resume` is set — checking that it is
  /// `program`'s and that its arguments equal `arguments` — and refuses to start over otherwise.
  ResumableRun(std::string program, const std::filesystem::path& dir, RunArguments arguments, bool resume);

  /// True when a saved state was read: arrays() and restore() give it.
  bool resumed() const { return !saved_.empty(); }
  /// <dir>/resume.npz.
  const std::filesystem::path& path() const { return path_; }
  /// The temporaries the constructor removed.
  const std::vector<std::string>& removed_temporaries() const { return removed_; }
  /// Every array of the saved file (empty when not resumed).
  const NamedTensors& arrays() const { return saved_; }
  /// The saved array `name`; a tg::Error naming the file if it is missing.
  const Tensor& array(const std::string& name) const;
  /// The saved text_tensor `name`.
  std::string text(const std::string& name) const;

  /// Copies the saved model, optimizer and schedule state into these (load_checkpoint) and returns
  /// the rest. The extras include "resume/…".
  TrainingState restore(nn::Module& model, Optimizer* optimizer, LRScheduler* scheduler = nullptr) const;
  /// Writes the state to resume.npz atomically; `state.extras` gain "resume/program" and
  /// "resume/arguments".
  void save(const nn::Module& model, const Optimizer* optimizer, TrainingState state,
            const LRScheduler* scheduler = nullptr) const;
  /// The outputs are complete: removes resume.npz.
  void finish() const;

  /// Whether a run saves after `epoch` (epochs finished, 1-based) of `last`, saving every `every`:
  /// every every-th epoch and the last.
  static bool due(std::int64_t epoch, std::int64_t every, std::int64_t last) {
    return epoch == last || (every > 0 && epoch % every == 0);
  }

 private:
  std::string program_;
  std::filesystem::path path_;
  RunArguments arguments_;
  NamedTensors saved_;
  std::vector<std::string> removed_;
};

}  // namespace tg::optim
