// libtorch_step: train_step's training step in libtorch, PyTorch's C++ API (Debian's libtorch 1.13).
//
//   OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2 build/bin/libtorch_step --threads 2
//
// The yardstick without Python in the way: the same network as train_step and compare_pytorch.py's
// PyTorch worker — depth × (Linear width + SELU), then Linear → classes, PyTorch's default
// initialisation — the batch-mean cross-entropy of a fixed batch, plain SGD (lr 0.01), gradients
// set to none before each step as the Python worker's zero_grad(set_to_none=True) does. Debian's
// libtorch does its matrix products in OpenBLAS, so OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS
// choose those kernels and threads; --threads is torch::set_num_threads (its OpenMP intra-op pool).
// Built only when CMake finds libtorch (bench/CMakeLists.txt), and only for `make bench`.
// Prints `key: value` lines: ms_per_step (median of the timed steps), ms_min, peak_rss_mb,
// base_rss_mb (before the model), torch_threads, openblas_core (the kernels OpenBLAS runs), loss.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/measure.h"
#include "bench/step_options.h"

int main(int argc, char** argv) {
  tg::bench::StepShape shape;
  int threads = 1;
  CLI::App app{"Time train_step's training step in libtorch"};
  tg::bench::add_step_options(app, shape);
  app.add_option("--threads", threads, "torch::set_num_threads")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  const auto [depth, width, batch, in_features, classes, steps, warmup] = shape;
  torch::set_num_threads(threads);

  const double base_rss = tg::bench::current_rss_mb();
  torch::manual_seed(0);
  torch::nn::Sequential model;
  for (std::int64_t i = 0, fan_in = in_features; i < depth; ++i, fan_in = width) {
    model->push_back(torch::nn::Linear(fan_in, width));
    model->push_back(torch::nn::SELU());
  }
  model->push_back(torch::nn::Linear(width, classes));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.01));
  const torch::Tensor x = torch::randn({batch, in_features});
  const torch::Tensor y = torch::arange(batch, torch::kLong) % classes;

  double last_loss = 0;
  auto step = [&] {
    for (torch::Tensor& p : model->parameters()) p.mutable_grad().reset();  // zero_grad(set_to_none=True)
    torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
    optimizer.step();
    last_loss = loss.item<double>();
  };
  for (int i = 0; i < warmup; ++i) step();
  std::vector<double> ms;
  for (int i = 0; i < steps; ++i) {
    const auto start = std::chrono::steady_clock::now();
    step();
    ms.push_back(tg::bench::milliseconds_since(start));
  }

  std::printf("torch_threads: %d\n", torch::get_num_threads());
  std::printf("openblas_core: %s\n", tg::bench::openblas_core().c_str());
  std::printf("ms_per_step: %.3f\n", tg::bench::median(ms));
  std::printf("ms_min: %.3f\n", *std::min_element(ms.begin(), ms.end()));
  std::printf("peak_rss_mb: %.1f\n", tg::bench::peak_rss_mb());
  std::printf("base_rss_mb: %.1f\n", base_rss);
  std::printf("loss: %.6f\n", last_loss);
  return 0;
}
