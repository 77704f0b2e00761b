#include "train/evaluate.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "autograd/tape.h"
#include "ops/indexing.h"
#include "ops/loss.h"
#include "ops/reduce.h"

namespace tg {
namespace {

// Eval mode for a scope, then every module back in its own previous mode (Note [Evaluation mode]).
// named_modules() lists parents before children, and train() on a parent sets its whole subtree,
// so restoring in that order leaves each module with its own saved mode.
class EvalScope {
 public:
  explicit EvalScope(nn::Module& model) {
    for (auto& [name, module] : model.named_modules()) saved_.emplace_back(module, module->is_training());
    model.eval();
  }
  ~EvalScope() {
    for (auto& [module, training] : saved_) module->train(training);
  }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  std::vector<std::pair<nn::Module*, bool>> saved_;
};

// Sums over the batches of an evaluation.
struct Tally {
  double loss_sum = 0;
  std::int64_t correct = 0, count = 0;

  void add(const Tensor& logits, const Tensor& labels) {
    loss_sum += cross_entropy(logits, labels, Reduction::sum).item();
    const Tensor predicted = argmax(logits, 1);
    const std::int64_t* p = predicted.data<std::int64_t>();
    const std::int64_t* y = labels.data<std::int64_t>();
    for (std::int64_t i = 0; i < labels.numel(); ++i) correct += p[i] == y[i];
    count += labels.numel();
  }
  Evaluation result() const {
    const auto n = static_cast<double>(count);
    return {loss_sum / n, static_cast<double>(correct) / n, count};
  }
};

void check_batch_size(std::int64_t batch_size, const char* op) {
  check(batch_size >= 1, op, ": batch_size is ", batch_size, "; it must be at least 1");
}

}  // namespace

Evaluation evaluate(nn::Module& model, const Dataset& data, std::int64_t batch_size) {
  check_dataset(data, "evaluate");
  check_batch_size(batch_size, "evaluate");
  check(data.size() > 0, "evaluate: features ", describe(data.features), ": no examples to score");
  NoGrad no_grad;
  EvalScope eval(model);
  Tally tally;
  for (std::int64_t begin = 0; begin < data.size(); begin += batch_size) {
    const std::int64_t end = std::min(begin + batch_size, data.size());
    tally.add(model(data.features.rows(begin, end)), data.labels.rows(begin, end));
  }
  return tally.result();
}

Evaluation evaluate(nn::Module& model, DataLoader& loader) {
  check(loader.dataset().size() > 0, "evaluate: the loader's dataset ", describe(loader.dataset().features),
        " has no examples to score");
  NoGrad no_grad;
  EvalScope eval(model);
  Tally tally;
  for (const Batch& batch : loader.batches(loader.epoch())) tally.add(model(batch.x), batch.y);
  check(tally.count > 0, "evaluate: the loader gave no batches (drop_last with fewer than batch_size examples?)");
  return tally.result();
}

Tensor predict(nn::Module& model, const Tensor& features, std::int64_t batch_size) {
  check(features.defined() && features.dim() >= 1, "predict: features ", describe(features),
        ": expected one row per example");
  check_batch_size(batch_size, "predict");
  NoGrad no_grad;
  EvalScope eval(model);
  std::vector<Tensor> outputs;
  for (std::int64_t begin = 0; begin < features.size(0); begin += batch_size)
    outputs.push_back(model(features.rows(begin, std::min(begin + batch_size, features.size(0)))));
  check(!outputs.empty(), "predict: features ", describe(features), ": no examples");
  return outputs.size() == 1 ? outputs[0] : cat(outputs, 0);
}

}  // namespace tg
