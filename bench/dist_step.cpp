// dist_step: train_step's SGD step (bench/step_options.h) data-parallel over the ranks mpirun
// starts, or in one process when started alone (docs/distributed.md, docs/benchmarks.md).
//
//   build/bin/dist_step --threads 2                       one process, two threads (no DataParallel)
//   mpirun -np 2 build/bin/dist_step --threads 1          two ranks, one thread each
//   mpirun -np 2 build/bin/dist_step --threads 1 --no-overlap
//
// The global batch is --batch rows; each rank trains on its rows (DataParallel::rows_of). After
// --warmup steps every step is timed on every rank; a step's time is the slowest rank's (the
// ranks wait for each other in the gradient exchange anyway). Prints tg::isa_report() first, then
// one `key: value` per line (rank 0):
//   ranks, threads, overlap   the setting
//   ms_per_step               median over the timed steps of the slowest rank's step
//   allreduce_ms              median of the time synchronize_gradients waited for the buckets
//                             still in flight and combined them (DataParallel::wait_seconds)
//   bytes_sent_per_step       what each rank sent in the gradient exchange
//   loss                      the last step's loss: the same bits for every rank count
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/measure.h"
#include "bench/step_model.h"
#include "bench/step_options.h"
#include "tapegrad.h"

using namespace tg;
using bench::median;

int main(int argc, char** argv) {
  bench::StepShape shape;
  int threads = 1;
  bool overlap = true;
  CLI::App app{"Time one data-parallel training step of a deep SELU network on the ranks mpirun starts"};
  bench::add_step_options(app, shape);
  app.add_option("--threads", threads, "threads per rank (0: OMP_NUM_THREADS or all cores)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag_callback("--no-overlap", [&overlap] { overlap = false; },
                        "start the gradient exchange after backward instead of from its hooks");
  CLI11_PARSE(app, argc, argv);
  const auto [depth, width, batch, in_features, classes, steps, warmup] = shape;
  dist::Communicator& world = dist::world();
  if (world.rank() == 0) std::printf("%s\n", isa_report().c_str());

  try {
    Generator gen(1);
    nn::Sequential model = bench::step_model(shape, gen);
    // Data-parallel under mpirun; one process is plain training (no DataParallel): the baseline.
    const std::unique_ptr<dist::DataParallel> ddp = dist::data_parallel_if_launched(model, {.overlap = overlap});
    if (threads > 0) set_num_threads(threads);  // after: data_parallel_if_launched sets its own default
    optim::SGD optimizer(model.parameters(), {.lr = 0.01});

    const Tensor x = randn({batch, in_features}, gen);
    std::vector<std::int64_t> y(static_cast<std::size_t>(batch));
    for (std::int64_t i = 0; i < batch; ++i) y[static_cast<std::size_t>(i)] = i % classes;
    const Tensor targets = labels(y);

    double last_loss = 0;
    auto step = [&] {
      optimizer.zero_grad();
      const Tensor loss = dist::backward_step(ddp.get(), x, targets, [&](const Tensor& xs, const Tensor& ys) {
        return cross_entropy(model(xs), ys);
      });
      optimizer.step();
      last_loss = loss.item();
    };
    for (int i = 0; i < warmup; ++i) step();

    std::vector<double> ms, wait_ms;
    for (int i = 0; i < steps; ++i) {
      world.barrier();  // every rank starts the step together
      const auto start = std::chrono::steady_clock::now();
      step();
      double times[2] = {bench::milliseconds_since(start), ddp ? ddp->wait_seconds() * 1e3 : 0.0};
      // The slowest rank's figures (a max through allgather: ranks are few).
      std::vector<double> all(2 * static_cast<std::size_t>(world.ranks()));
      world.allgather(times, all.data(), 2);
      for (int r = 0; r < world.ranks(); ++r)
        for (int k = 0; k < 2; ++k) times[k] = std::max(times[k], all[2 * static_cast<std::size_t>(r) + k]);
      ms.push_back(times[0]);
      wait_ms.push_back(times[1]);
    }
    if (world.rank() == 0) {
      std::printf("ranks: %d\n", world.ranks());
      std::printf("backend: %s\n", world.backend());
      std::printf("threads: %d\n", num_threads());
      std::printf("overlap: %d\n", overlap ? 1 : 0);
      std::printf("ms_per_step: %.3f\n", median(ms));
      std::printf("ms_min: %.3f\n", *std::min_element(ms.begin(), ms.end()));
      std::printf("allreduce_ms: %.3f\n", median(wait_ms));
      std::printf("bytes_sent_per_step: %zu\n", ddp ? ddp->bytes_sent() : std::size_t{0});
      std::printf("loss: %.9g\n", last_loss);
    }
  } catch (const std::exception& e) {
    world.abort(cat("dist_step: ", e.what()));
  }
  return 0;
}
