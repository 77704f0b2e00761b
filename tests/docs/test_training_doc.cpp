// The C++ snippets of docs/training.md, compiled and run. Each block between "// [doc]" and
// "// [/doc]" appears verbatim (dedented) in the doc; scripts/check_doc_snippets.py, run by CTest
// as doc_training, fails if a block of the doc is found in no such region.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "datasets/loader.h"
#include "datasets/scaler.h"
#include "docs/blobs.h"
#include "support.h"
#include "tapegrad.h"

using namespace tg;

namespace {

using test::blobs;

double validation_loss(nn::Module& model, const Dataset& valid) {
  NoGrad no_grad;
  model.eval();
  const double loss = cross_entropy(model(valid.features), valid.labels).item();
  model.train();
  return loss;
}

}  // namespace

TEST_CASE("docs/training.md: build, train with groups, a warm-up schedule, clipping and early stopping, save") {
  const Dataset train = blobs(300, 1), valid = blobs(90, 2);
  DataLoader loader(train, {.batch_size = 32, .shuffle = true, .drop_last = false, .seed = 0});
  const std::string path = (std::filesystem::temp_directory_path() / cat("tg_doc_", ::getpid(), ".npz")).string();
  StandardScaler scaler;
  scaler.fit(train.features);

  // [doc]
  Generator gen(0);
  nn::Sequential model{nn::Linear(4, 64, gen), nn::SELU(), nn::Linear(64, 3, gen)};
  model.apply([&](nn::Module& m) {  // children first, like PyTorch's Module.apply
    if (auto* linear = m.as<nn::Linear>()) nn::init::zeros(linear->bias);
  });
  // [/doc]

  // [doc]
  optim::AdamW opt({{.params = model[0].parameters(), .options = {.lr = 1e-3}},
                    {.params = model[2].parameters(), .options = {.lr = 1e-2, .weight_decay = 0}}});
  // [/doc]

  // [doc]
  optim::SequentialLR schedule(opt,
                               {std::make_shared<optim::LinearLR>(opt, 0.1, 1.0, 5),   // 5 warm-up epochs
                                std::make_shared<optim::CosineAnnealingLR>(opt, 95)},  // then cosine
                               {5});
  optim::EarlyStopping stopper(model, {.patience = 10, .window = 10});  // the paper's UCI protocol
  for (int epoch = 0; epoch < 100; ++epoch) {
    for (const Batch& batch : loader.batches(epoch)) {
      Tensor loss = cross_entropy(model(batch.x), batch.y);
      opt.zero_grad();
      backward(loss);
      const double norm = optim::clip_grad_norm(model.parameters(), 1.0);
      if (!std::isfinite(norm)) continue;  // inf/NaN gradients: skip the step (they are left as they were)
      opt.step();
    }
    schedule.step();
    if (stopper.step(validation_loss(model, valid))) break;
  }
  stopper.restore_best_weights();  // the parameters and buffers of the best (smoothed) epoch
  // [/doc]
  CHECK(stopper.best() < 0.5);
  CHECK(validation_loss(model, valid) < 0.5);

  // [doc]
  optim::TrainingState state{.epoch = stopper.epoch(), .extras = optim::scaler_tensors(scaler)};
  optim::save_checkpoint(path, model, &opt, state, &schedule);
  // ... later, with the same model, optimizer and schedule built again:
  state = optim::load_checkpoint(path, model, &opt, &schedule);
  StandardScaler restored = optim::scaler_from(state.extras);
  // [/doc]
  CHECK(restored.mean() == scaler.mean());
  CHECK(state.epoch == stopper.epoch());

  // [doc]
  optim::save_weights(path, model, optim::scaler_tensors(scaler));  // "0.weight", ..., "scaler/mean"
  optim::LoadReport report = optim::load_weights(path, model, {.strict = false, .scaler = &scaler});
  std::cout << report.str();  // matched, converted, missing and unexpected names
  // [/doc]
  CHECK(report.matched.size() == 4);
  std::filesystem::remove(path);
}
