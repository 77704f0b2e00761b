// End to end on real data: load Fashion-MNIST, standardise, train a small SNN, score held-out
// images. Everything a full run uses (loader, scaler, Linear/SELU/AlphaDropout, fused
// cross-entropy, SGD with Nesterov momentum, a schedule, eval mode) has to work together for
// the accuracy to clear the floor; a wrong gradient or a broken eval mode lands far below it.
#include "support.h"

#include <filesystem>

#include "datasets/loader.h"
#include "datasets/mnist.h"
#include "datasets/scaler.h"
#include "tapegrad.h"

using namespace tg;

namespace {

// Seeds 0–9 scored 0.8285–0.8505 (mean 0.841), identically with 1 and 2 threads; the floor sits
// 3.5 standard errors (≈ 0.008 on 2000 images) below the worst of them. Chance is 0.10.
constexpr double kAccuracyFloor = 0.80;

double accuracy(nn::Module& model, const Dataset& data) {
  NoGrad no_grad;
  model.eval();
  const Tensor predicted = argmax(model(data.features), 1);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < data.size(); ++i)
    correct += predicted.data<std::int64_t>()[i] == data.labels.data<std::int64_t>()[i];
  model.train();
  return static_cast<double>(correct) / static_cast<double>(data.size());
}

}  // namespace

TEST_CASE("fashion_mnist end to end: a 2-layer SNN trained 3 epochs on 5k images beats the accuracy floor on 2k test images") {
  if (!std::filesystem::is_directory(fashion_mnist_dir()))
    FAIL("Fashion-MNIST is missing from " << fashion_mnist_dir() << ": run scripts/setup.sh");
  const std::uint64_t seed = GENERATE(0, 1);

  const Dataset train_all = load_fashion_mnist(Split::train), test_all = load_fashion_mnist(Split::test);
  const Dataset train_raw = random_split(train_all, 5000, seed).first;
  std::vector<std::int64_t> first_2000(2000);
  for (std::int64_t i = 0; i < 2000; ++i) first_2000[i] = i;
  StandardScaler scaler;
  scaler.fit(train_raw.features);  // on the training part only
  const Dataset train = scaler.transform(train_raw), test = scaler.transform(subset(test_all, first_2000));

  Generator gen(seed);
  nn::Sequential model{std::make_shared<nn::Linear>(784, 256, gen), std::make_shared<nn::SELU>(),
                       std::make_shared<nn::AlphaDropout>(0.05, seed + 1),
                       std::make_shared<nn::Linear>(256, 256, gen), std::make_shared<nn::SELU>(),
                       std::make_shared<nn::AlphaDropout>(0.05, seed + 2),
                       std::make_shared<nn::Linear>(256, 10, gen)};
  const double chance = accuracy(model, test);
  optim::SGD optimizer(model.parameters(), {.lr = 0.02, .momentum = 0.9, .nesterov = true});
  constexpr int kEpochs = 3;
  optim::CosineAnnealingLR schedule(optimizer, kEpochs);
  DataLoader loader(train, {.batch_size = 64, .shuffle = true, .drop_last = false, .seed = seed});

  std::vector<double> epoch_loss;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    double total = 0;
    for (const Batch& batch : loader.batches(epoch)) {
      Tensor loss = cross_entropy(model(batch.x), batch.y);
      optimizer.zero_grad();
      backward(loss);
      optimizer.step();
      total += loss.item();
    }
    schedule.step();
    epoch_loss.push_back(total / static_cast<double>(loader.num_batches()));
  }
  const double test_accuracy = accuracy(model, test);
  INFO("seed " << seed << ": epoch losses " << epoch_loss[0] << ", " << epoch_loss[1] << ", " << epoch_loss[2]
               << "; test accuracy " << test_accuracy << " (untrained " << chance << ")");
  CHECK(epoch_loss[2] < epoch_loss[0]);
  CHECK(chance < 0.3);
  CHECK(test_accuracy >= kAccuracyFloor);
}
