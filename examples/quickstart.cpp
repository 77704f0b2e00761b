// quickstart: a small self-normalising network learns two interleaved spirals.
//
//   build/bin/quickstart [epochs]
//
// Reads like the PyTorch script it mirrors. Same seed ⇒ same printed numbers, whatever
// OMP_NUM_THREADS is (Philox random numbers, fixed-order reductions).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numbers>
#include <iostream>

#include "tapegrad.h"

using namespace tg;

// Two spirals, 500 points each, with a little Gaussian noise; features scaled to about [−1, 1].
Dataset two_spirals(std::int64_t per_class, Generator& gen) {
  Tensor x = empty({2 * per_class, 2});
  std::vector<std::int64_t> y;
  Tensor noise = randn({2 * per_class, 2}, gen, DType::float32, 0.0, 0.02);
  for (std::int64_t c = 0; c < 2; ++c) {
    for (std::int64_t i = 0; i < per_class; ++i) {
      const double t = 0.5 + 3.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(per_class);
      const double angle = t + static_cast<double>(c) * std::numbers::pi;
      const std::int64_t row = c * per_class + i;
      x.set({row, 0}, t * std::cos(angle) / 10 + noise.at({row, 0}));
      x.set({row, 1}, t * std::sin(angle) / 10 + noise.at({row, 1}));
      y.push_back(c);
    }
  }
  return Dataset{x, labels(y)};
}

int main(int argc, char** argv) {
  const char* usage = "usage: quickstart [epochs > 0, default 100]\n";
  if (argc > 1 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0)) {
    std::fputs(usage, stdout);
    return 0;
  }
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 100;
  if (epochs <= 0) {
    std::fputs(usage, stderr);
    return 2;
  }
  Generator gen(42);
  Dataset data = two_spirals(500, gen);
  DataLoader loader(data, {.batch_size = 32, .shuffle = true, .drop_last = false, .seed = 42});

  nn::Sequential model{std::make_shared<nn::Linear>(2, 64, gen), std::make_shared<nn::SELU>(),
                       std::make_shared<nn::Linear>(64, 64, gen), std::make_shared<nn::SELU>(),
                       std::make_shared<nn::Linear>(64, 2, gen)};
  optim::SGD optimizer(model.parameters(), {.lr = 0.01, .momentum = 0.9});
  std::cout << model << "\n";

  for (int epoch = 0; epoch < epochs; ++epoch) {
    double total = 0;
    for (const Batch& batch : loader.batches(epoch)) {
      Tensor loss = cross_entropy(model(batch.x), batch.y);
      optimizer.zero_grad();
      backward(loss);
      optimizer.step();
      total += loss.item();
    }
    std::printf("epoch %3d  loss %.9g\n", epoch + 1, total / static_cast<double>(loader.num_batches()));
  }

  NoGrad no_grad;
  model.eval();
  Tensor logits = model(data.features);
  const double final_loss = cross_entropy(logits, data.labels).item();
  Tensor predicted = argmax(logits, 1);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < data.size(); ++i) correct += predicted.at({i}) == data.labels.at({i});
  std::printf("final loss %.9g  accuracy %.4f\n", final_loss, static_cast<double>(correct) / static_cast<double>(data.size()));
  return 0;
}
