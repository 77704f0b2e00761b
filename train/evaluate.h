// Scoring a classifier: its outputs, loss and accuracy on a dataset or a loader, with no tape.
//
// Note [Evaluation mode]
// ~~~~~~~~~~~~~~~~~~~~~~
// predict and evaluate run the model under NoGrad (nothing is recorded, so nothing stays on the
// tape — Note [Tape ownership] in autograd/tape.h) and in eval mode (BatchNorm uses its running
// statistics, dropout and alpha-dropout pass their input through). Afterwards every module of the
// tree is back in the mode it was in before — a frozen BatchNorm inside a training model stays in
// eval mode — also when the model throws.
#pragma once

#include <cstdint>

#include "datasets/dataset.h"
#include "datasets/loader.h"
#include "nn/module.h"

namespace tg {

struct Evaluation {
  double loss = 0;         ///< mean cross-entropy of the logits (NaN or inf if the model diverged)
  double accuracy = 0;     ///< fraction of examples whose largest logit is the label
  std::int64_t count = 0;  ///< examples scored
};

/// Cross-entropy and accuracy of `model`'s logits [b, C] on `data`, batch_size examples at a time
/// (Note [Evaluation mode]). data must have at least one example with int64 labels.
Evaluation evaluate(nn::Module& model, const Dataset& data, std::int64_t batch_size = 1000);
/// The same over one pass of `loader`: it restarts the loader's current epoch and runs it to the end.
Evaluation evaluate(nn::Module& model, DataLoader& loader);

/// model(features), batch_size rows at a time, joined into one tensor (Note [Evaluation mode]):
/// the scores roc_auc and confusion_matrix take.
Tensor predict(nn::Module& model, const Tensor& features, std::int64_t batch_size = 1000);

}  // namespace tg
