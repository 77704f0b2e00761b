#include <memory>

#include "autograd/tape.h"
#include "nn/layers.h"
#include "ops/loss.h"
#include "ops/indexing.h"
#include "train/evaluate.h"
#include "train/metrics.h"
#include "support.h"

using namespace tg;

namespace {

// 3 classes in 5 features, two thirds of the rows separable by their first feature.
Dataset toy_data(std::int64_t n) {
  Generator gen(3);
  Tensor x = randn({n, 5}, gen);
  std::vector<std::int64_t> y(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    y[i] = i % 3;
    if (i % 3 != 2) x.set({i, 0}, x.at({i, 0}) + 3.0 * static_cast<double>(y[i]));
  }
  return {x, labels(y)};
}

// Linear → BatchNorm1d → SELU → AlphaDropout → Linear: train and eval mode give different outputs.
std::shared_ptr<nn::Sequential> toy_model() {
  Generator gen(4);
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(5, 8, gen), std::make_shared<nn::BatchNorm1d>(8), std::make_shared<nn::SELU>(),
      std::make_shared<nn::AlphaDropout>(0.2, 5), std::make_shared<nn::Linear>(8, 3, gen)});
}

bool all_training(nn::Module& model, bool expected) {
  for (auto& [name, m] : model.named_modules())
    if (m->is_training() != expected) return false;
  return true;
}

}  // namespace

TEST_CASE("evaluate gives the eval-mode loss and accuracy, whatever the batch size") {
  const Dataset data = toy_data(103);
  auto model = toy_model();
  for (const Tensor& p : model->parameters()) REQUIRE(p.requires_grad());  // so a forward pass would record
  // The reference: the whole set in one eval-mode forward pass.
  Tensor logits;
  {
    NoGrad no_grad;
    model->eval();
    logits = (*model)(data.features);
    model->train();
  }
  const double loss = cross_entropy(logits, data.labels).item(), acc = accuracy(logits, data.labels);
  for (std::int64_t batch : {1, 7, 50, 103, 1000}) {
    INFO("batch " << batch);
    const Evaluation e = evaluate(*model, data, batch);
    CHECK(e.count == 103);
    CHECK(e.accuracy == acc);
    CHECK(e.loss == Approx(loss).epsilon(1e-6));
  }
  // Train mode would give other numbers (batch statistics, dropout): eval mode was used.
  Tensor train_logits = (*model)(data.features);
  CHECK(cross_entropy(train_logits, data.labels).item() != Approx(loss).epsilon(1e-3));
  tape().clear();
}

TEST_CASE("evaluate records nothing on the tape and changes no running statistic") {
  const Dataset data = toy_data(60);
  auto model = toy_model();
  for (const Tensor& p : model->parameters()) REQUIRE(p.requires_grad());  // so a forward pass would record
  const auto& bn = static_cast<nn::BatchNorm1d&>((*model)[1]);
  const std::vector<double> mean_before = bn.running_mean.to_vector();
  tape().clear();
  for (int pass = 0; pass < 20; ++pass) evaluate(*model, data, 16);
  CHECK(tape().size() == 0);
  CHECK(bn.running_mean.to_vector() == mean_before);
  for (const auto& p : model->parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("evaluate restores every module's own mode, also when the model throws") {
  const Dataset data = toy_data(30);
  auto model = toy_model();
  evaluate(*model, data);
  CHECK(all_training(*model, true));
  model->eval();
  evaluate(*model, data);
  CHECK(all_training(*model, false));
  // A frozen BatchNorm inside a training model stays frozen.
  model->train();
  (*model)[1].eval();
  evaluate(*model, data);
  CHECK(model->is_training());
  CHECK_FALSE((*model)[1].is_training());
  CHECK((*model)[3].is_training());
  // Features of the wrong width make the first Linear throw, inside the evaluation.
  model->train();
  const Dataset wrong{zeros({4, 6}), labels({0, 1, 2, 0})};
  REQUIRE_THROWS_WITH(evaluate(*model, wrong), Catch::Contains("[4, 6]"));
  CHECK(all_training(*model, true));
  CHECK(grad_enabled());
}

TEST_CASE("evaluate over a loader equals evaluate over its dataset") {
  const Dataset data = toy_data(77);
  auto model = toy_model();
  const Evaluation whole = evaluate(*model, data);
  DataLoader shuffled(data, {.batch_size = 10, .shuffle = true, .seed = 8});
  shuffled.start_epoch(3);
  const Evaluation e = evaluate(*model, shuffled);
  CHECK(e.count == 77);
  CHECK(e.accuracy == whole.accuracy);
  CHECK(e.loss == Approx(whole.loss).epsilon(1e-6));
  CHECK(shuffled.epoch() == 3);  // the loader's epoch was replayed, not advanced
  CHECK(all_training(*model, true));
}

TEST_CASE("predict joins the eval-mode outputs of every batch, ready for roc_auc") {
  const Dataset data = toy_data(45);
  auto model = toy_model();
  const Tensor scores = predict(*model, data.features, 8);
  REQUIRE(scores.shape() == Shape{45, 3});
  Tensor whole;
  {
    NoGrad no_grad;
    model->eval();
    whole = (*model)(data.features);
    model->train();
  }
  CHECK(test::max_rel_diff(scores, whole.to_vector()) < 1e-6);
  CHECK(roc_auc(softmax(scores), data.labels) == Approx(roc_auc(softmax(whole), data.labels)).epsilon(1e-12));
}

TEST_CASE("evaluate and predict reject a bad batch size and empty data") {
  auto model = toy_model();
  const Dataset data = toy_data(10);
  REQUIRE_THROWS_WITH(evaluate(*model, data, 0), Catch::Contains("evaluate: batch_size is 0"));
  REQUIRE_THROWS_WITH(predict(*model, data.features, -1), Catch::Contains("predict: batch_size is -1"));
  REQUIRE_THROWS_WITH(evaluate(*model, Dataset{zeros({0, 5}), labels({})}),
                      Catch::Contains("evaluate") && Catch::Contains("[0, 5]") && Catch::Contains("no examples"));
  REQUIRE_THROWS_WITH(evaluate(*model, Dataset{zeros({3, 5}), labels({0})}), Catch::Contains("evaluate") &&
                                                                                 Catch::Contains("[3, 5]"));
  REQUIRE_THROWS_WITH(predict(*model, zeros({0, 5})), Catch::Contains("predict") && Catch::Contains("no examples"));
}
