// Checkpoints: a model's parameters and buffers, its random generators, the optimizer's state
// and the training counters, in one .npz file (tensor/npz.h) that numpy.load can read.
//
// Note [Checkpoint contents]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~
// Array names in the file:
//   meta/format               int64 0-dim, kCheckpointFormat
//   model/<param path>        each parameter, e.g. "model/0.weight"
//   buffer/<buffer path>      each buffer, e.g. "buffer/1.running_mean"
//   generator/<path>          int64 [2] = (seed, offset) of each module generator (dropout masks)
//   optimizer/lr              float64 0-dim; optimizer/<state name> its state tensors
//   state/epoch, state/step, state/seed      int64 0-dim (the seed's bits, for uint64)
//   state/rng/<name>          int64 [2] (seed, offset) of a loop-owned generator (data shuffling)
//   state/metric/<name>       float64 0-dim
// Resuming is bit-identical to never stopping because everything that decides the next update is
// in the file: weights, momentum buffers, learning rate, and every generator's counter position
// (Note [Counter-based randomness]). A learning-rate schedule is a function of the epoch
// (scheduler.h): call Scheduler::set_epoch(state.epoch) after loading.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tensor/random.h"
#include "nn/module.h"
#include "optim/optimizer.h"

namespace tg::optim {

inline constexpr std::int64_t kCheckpointFormat = 1;

struct TrainingState {
  std::int64_t epoch = 0;  ///< epochs completed
  std::int64_t step = 0;   ///< optimizer steps taken
  std::uint64_t seed = 0;  ///< the run's seed, for the record
  std::vector<std::pair<std::string, Generator>> generators;  ///< e.g. {"shuffle", loader_generator}
  std::vector<std::pair<std::string, double>> metrics;        ///< e.g. {"val_loss", 0.31}
};

/// Writes everything in Note [Checkpoint contents] to `path` atomically. `optimizer` may be null.
void save_checkpoint(const std::string& path, const nn::Module& model, const Optimizer* optimizer,
                     const TrainingState& state);

/// Restores a checkpoint into an existing model (and optimizer, unless null) of the same
/// architecture. Everything is validated before anything is written: on any tg::Error (corrupt
/// file, missing or unexpected array, shape or dtype mismatch) model and optimizer are unchanged.
/// Values are copied into the existing tensors; handles stay valid (Note [Parameters are handles]).
TrainingState load_checkpoint(const std::string& path, nn::Module& model, Optimizer* optimizer);

}  // namespace tg::optim
