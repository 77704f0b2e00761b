// Checkpoints: a model's parameters and buffers, its random generators, the optimizer's and the
// schedule's state and the training counters, in one .npz file (tensor/npz.h) that numpy.load
// can read. For weights alone (and PyTorch's state_dicts) see train/weights.h.
//
// Note [Checkpoint contents]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
// Array names in the file:
//   meta/format               int64 0-dim, kCheckpointFormat
//   model/<param path>        each parameter, e.g. "model/0.weight"
//   buffer/<buffer path>      each buffer, e.g. "buffer/1.running_mean"
//   generator/<path>          int64 [2] = (seed, offset) of each module generator (dropout masks)
//   optimizer/<name>          the optimizer's state(): every group's options (lr included), step
//                             counts and per-parameter tensors (Note [Optimizer state])
//   scheduler/<name>          the schedule's state() (Note [Schedule state]), when one is passed
//   state/epoch, state/step, state/seed      int64 0-dim (the seed's bits, for uint64)
//   state/rng/<name>          int64 [2] (seed, offset) of a loop-owned generator (data shuffling)
//   state/metric/<name>       float64 0-dim
//   <prefix>/<name>           the caller's extras (TrainingState::extras), e.g. a scaler's
//                             "scaler/mean" (train/weights.h) or an architecture "config/hidden"
// Resuming is bit-identical to never stopping because everything that decides the next update is
// in the file: weights, optimizer state, learning rates, the schedule's counters, and every
// generator's counter position (Note [Counter-based randomness]). Format 1 (before parameter
// groups) is refused.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/npz.h"
#include "tensor/random.h"
#include "nn/module.h"
#include "optim/optimizer.h"
#include "optim/scheduler.h"

namespace tg::optim {

inline constexpr std::int64_t kCheckpointFormat = 2;

/// True for the name of a caller's extra array: "<prefix>/<name>" where prefix is none of the
/// checkpoint's own (meta, model, buffer, generator, optimizer, scheduler, state).
bool is_extra_name(std::string_view name);

struct TrainingState {
  std::int64_t epoch = 0;  ///< epochs completed
  std::int64_t step = 0;   ///< optimizer steps taken
  std::uint64_t seed = 0;  ///< the run's seed, for the record
  std::vector<std::pair<std::string, Generator>> generators = {};  ///< e.g. {"shuffle", loader_generator}
  std::vector<std::pair<std::string, double>> metrics = {};        ///< e.g. {"val_loss", 0.31}
  NamedTensors extras = {};  ///< the caller's arrays, saved and returned as they are; see is_extra_name
};

/// Writes everything in Note [Checkpoint contents] to `path` atomically. `optimizer` and
/// `scheduler` may be null.
void save_checkpoint(const std::string& path, const nn::Module& model, const Optimizer* optimizer,
                     const TrainingState& state, const LRScheduler* scheduler = nullptr);

/// Restores a checkpoint into an existing model (and optimizer and schedule, unless null) of the
/// same architecture. Everything is validated before anything is written: on any tg::Error
/// (corrupt file, missing or unexpected array, shape or dtype mismatch, state the optimizer or
/// schedule rejects) model, optimizer and schedule are unchanged. Values are copied into the
/// existing tensors; handles stay valid (Note [Parameters are handles]).
TrainingState load_checkpoint(const std::string& path, nn::Module& model, Optimizer* optimizer,
                              LRScheduler* scheduler = nullptr);

}  // namespace tg::optim
