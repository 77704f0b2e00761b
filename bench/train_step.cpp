// train_step: the time, heap allocations and memory of one SGD step of a deep SELU network.
//
//   build/bin/train_step --depth 8 --width 784 --batch 128 --steps 30 --threads 2
//
// The network is in_features → width (× depth Linear + SELU layers) → classes, batch-mean
// cross-entropy, plain SGD; bench/compare_pytorch.py runs the same step in PyTorch and libtorch
// (bench/libtorch_step.cpp). Each step is zero_grad, forward, backward, update. Sequential runs
// each Linear→SELU pair as one fused op (linear with Activation::selu). After --warmup steps,
// every step is timed and its heap allocations counted (every malloc of the process, Note
// [Counting heap allocations]).
// Prints `tg::isa_report()` first (the instruction set the kernels run with; TG_ISA forces one),
// then one `key: value` per line:
//   ms_per_step             median over the timed steps
//   allocations_per_step    the largest count over the timed steps (the goal is 0)
//   gflops                  multiply-adds ×2 of the GEMMs per step / median time
//   peak_rss_mb, base_rss_mb  peak resident memory of the process, and what it was before the model
//   tensor_buffers_per_step, allocator_system_allocations  caching allocator counters over the
//                           timed steps (storage.h): buffers requested per step, and how many of
//                           them the system had to provide (the goal is 0)
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/alloc_counter.h"
#include "bench/measure.h"
#include "bench/step_model.h"
#include "bench/step_options.h"
#include "tapegrad.h"

using namespace tg;
using bench::current_rss_mb, bench::median, bench::peak_rss_mb;

int main(int argc, char** argv) {
  bench::StepShape shape;
  int threads = 0;
  CLI::App app{"Time one training step of a deep SELU network"};
  bench::add_step_options(app, shape);
  app.add_option("--threads", threads, "threads (0: OMP_NUM_THREADS or all cores)")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  const auto [depth, width, batch, in_features, classes, steps, warmup] = shape;
  if (threads > 0) set_num_threads(threads);
  std::printf("%s\n", isa_report().c_str());

  const double base_rss = current_rss_mb();
  Generator gen(1);
  nn::Sequential model = bench::step_model(shape, gen);
  optim::SGD optimizer(model.parameters(), {.lr = 0.01});

  const Tensor x = randn({batch, in_features}, gen);
  std::vector<std::int64_t> y(static_cast<std::size_t>(batch));
  for (std::int64_t i = 0; i < batch; ++i) y[i] = i % classes;
  const Tensor targets = labels(y);

  double last_loss = 0;
  auto step = [&] {
    optimizer.zero_grad();
    Tensor loss = cross_entropy(model(x), targets);
    backward(loss);
    optimizer.step();
    last_loss = loss.item();
  };
  for (int i = 0; i < warmup; ++i) step();

  std::vector<double> ms;
  std::uint64_t max_allocations = 0;
  const AllocatorStats stats_before = allocator_stats();
  for (int i = 0; i < steps; ++i) {
    const std::uint64_t allocations = bench::heap_allocations();
    const auto start = std::chrono::steady_clock::now();
    step();
    const double elapsed = bench::milliseconds_since(start);
    max_allocations = std::max(max_allocations, bench::heap_allocations() - allocations);
    ms.push_back(elapsed);  // after the count: the vector's own growth is not the step's
  }
  const AllocatorStats stats_after = allocator_stats();

  const double step_ms = median(ms);
  // Forward x·Wᵀ per layer, backward gyᵀ·x and gy·W (none for the first layer's input).
  double macs = 0;
  for (std::int64_t i = 0, fan_in = in_features; i <= depth; ++i, fan_in = width) {
    const std::int64_t fan_out = i < depth ? width : classes;
    macs += static_cast<double>(batch * fan_in * fan_out) * (i == 0 ? 2 : 3);
  }
  std::printf("threads: %d\n", num_threads());
  std::printf("ms_per_step: %.3f\n", step_ms);
  std::printf("ms_min: %.3f\n", *std::min_element(ms.begin(), ms.end()));
  if (bench::heap_counting_works())
    std::printf("allocations_per_step: %llu\n", static_cast<unsigned long long>(max_allocations));
  else
    std::printf("allocations_per_step: n/a\n");
  std::printf("gflops: %.1f\n", 2 * macs / (step_ms * 1e6));
  std::printf("peak_rss_mb: %.1f\n", peak_rss_mb());
  std::printf("base_rss_mb: %.1f\n", base_rss);
  std::printf("tensor_buffers_per_step: %.1f\n",
              static_cast<double>(stats_after.requests - stats_before.requests) / steps);
  std::printf("allocator_system_allocations: %llu\n",
              static_cast<unsigned long long>(stats_after.system_allocations - stats_before.system_allocations));
  std::printf("loss: %.6f\n", last_loss);
  return 0;
}
