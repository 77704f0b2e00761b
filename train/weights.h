// Weights files: a model's parameters and buffers under their PyTorch state_dict names, in an
// .npz that numpy (and so PyTorch) reads and writes — plus, optionally, a fitted scaler.
//
// Note [Weights files]
// ~~~~~~~~~~~~~~~~~~~~
// A weights file holds one array per entry of Module::state_dict(), named as PyTorch names them
// ("0.weight", "1.running_mean", "1.num_batches_tracked"), so weights cross in both directions:
//   PyTorch → tapegrad: numpy.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})
//   tapegrad → PyTorch: model.load_state_dict({k: torch.from_numpy(v)
//                                              for k, v in numpy.load(path).items() if "/" not in k})
// A name with a '/' is never a state_dict name: such arrays are the caller's extras, e.g. a
// scaler's "scaler/mean" and "scaler/scale", returned by load_weights and never "unexpected".
// A tapegrad checkpoint (train/checkpoint.h) loads as a weights file too: its "model/" and
// "buffer/" arrays are the weights and its other arrays are ignored.
//
// Loading validates everything before it writes anything; then values are copied into the
// existing tensors (Note [Parameters are handles]). A shape mismatch is an error even when not
// strict (PyTorch's load_state_dict does the same). float32 ↔ float64 converts, as PyTorch's
// load_state_dict does when it copies, and the report lists each conversion; int64 against a
// float tensor is an error.
#pragma once

#include <string>
#include <vector>

#include "tensor/npz.h"
#include "datasets/scaler.h"
#include "nn/module.h"

namespace tg::optim {

/// What load_weights did, name by name (in the model's state_dict order where it applies).
struct LoadReport {
  std::vector<std::string> matched;     ///< loaded from the file
  std::vector<std::string> converted;   ///< of those, loaded with a float32 ↔ float64 conversion
  std::vector<std::string> missing;     ///< in the model, not in the file: left as they were
  std::vector<std::string> unexpected;  ///< in the file, not in the model: ignored
  NamedTensors extras;                  ///< the file's arrays with a '/' in their name
  /// One line per non-empty list, e.g. "matched 7: 0.weight, 0.bias, ...".
  std::string str() const;
};

struct LoadWeightsOptions {
  bool strict = true;                 ///< missing or unexpected weights are errors, as in PyTorch
  StandardScaler* scaler = nullptr;   ///< also restore the scaler saved under scaler_prefix
  std::string scaler_prefix = "scaler";
};

/// Writes model.state_dict() and `extras` to `path` atomically (Note [Weights files]). Extras'
/// names must hold a '/' (e.g. from scaler_tensors); the model's names may not.
void save_weights(const std::string& path, const nn::Module& model, const NamedTensors& extras = {});

/// Loads a weights file (Note [Weights files]) into `model`: all of it or, on a tg::Error that
/// names every offending array (mismatched shape or dtype; missing or unexpected ones when
/// strict; a malformed scaler), nothing.
LoadReport load_weights(const std::string& path, nn::Module& model, const LoadWeightsOptions& options = {});

/// A fitted scaler as "<prefix>/mean" and "<prefix>/scale", float64 [features], for the extras
/// of a weights file or a checkpoint (TrainingState::extras).
NamedTensors scaler_tensors(const StandardScaler& scaler, const std::string& prefix = "scaler");
/// The scaler stored by scaler_tensors among `arrays`; a tg::Error naming the array if it is
/// missing or malformed.
StandardScaler scaler_from(const NamedTensors& arrays, const std::string& prefix = "scaler");

}  // namespace tg::optim
