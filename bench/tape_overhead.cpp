// tape_overhead: what recording and replaying the tape costs when the arithmetic is nothing.
//
//   build/bin/tape_overhead [--iterations 200000] [--repeats 7]
//
// One iteration is the tiny graph of bench/compare_pytorch.py on 4×4 float32 tensors:
//   c = a·b,  d = c + a,  s = Σ d,  backward(s),  then both gradients dropped (a.grad = None).
// Every number here is bookkeeping: tensor handles, records, closures, gradient slots.
// Prints tg::isa_report() first, then `us_per_iteration: <x>` (median of --repeats timed runs of
// --iterations each) and `allocations_per_iteration: <n>` (every malloc of the process, Note
// [Counting heap allocations]).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "bench/alloc_counter.h"
#include "tapegrad.h"

using namespace tg;

int main(int argc, char** argv) {
  int iterations = 200000, repeats = 7;
  CLI::App app{"Time the tape on a tiny graph"};
  app.option_defaults()->always_capture_default();
  app.add_option("--iterations", iterations, "iterations per timed run")->check(CLI::PositiveNumber);
  app.add_option("--repeats", repeats, "timed runs; the median is printed")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  std::printf("%s\n", isa_report().c_str());

  Generator gen(1);
  Tensor a = randn({4, 4}, gen).requires_grad(true);
  Tensor b = randn({4, 4}, gen).requires_grad(true);
  double checksum = 0;
  auto iteration = [&] {
    Tensor s = sum(a * b + a);
    backward(s);
    checksum += a.grad().data<float>()[0];
    a.zero_grad();
    b.zero_grad();
  };
  for (int i = 0; i < 1000; ++i) iteration();  // warm-up: fills every cache

  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(repeats));  // its growth must not count as the tape's
  const std::uint64_t before = bench::heap_allocations();
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) iteration();
    const auto stop = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(stop - start).count() / iterations);
  }
  const double allocations =
      static_cast<double>(bench::heap_allocations() - before) / (static_cast<double>(iterations) * repeats);
  std::sort(us.begin(), us.end());
  std::printf("us_per_iteration: %.3f\n", us[us.size() / 2]);
  std::printf("us_min: %.3f\n", us.front());
  if (bench::heap_counting_works())
    std::printf("allocations_per_iteration: %g\n", allocations);  // %g: one allocation in a million shows
  else
    std::printf("allocations_per_iteration: n/a\n");
  std::printf("checksum: %.6g\n", checksum);
  return 0;
}
