// The memory-bound ops of an SNN against a plain copy that moves the same bytes.
//
//   bench_kernels --benchmark_min_time=0.2
//   bench_kernels --benchmark_format=json > kernels.json
//
// Pairs <workload>/tapegrad/<n> and <workload>/memcpy/<n>, n = 4M float32 elements, each with a
// GB/s counter. The bytes of a workload are the traffic it cannot avoid — every input read once,
// every output written once (x, y: 8 bytes an element for a forward; y, gy, gx read and gx
// written: 16 for a backward) — and its memcpy partner copies half that many bytes, so both move
// the same volume. The copy runs on as many threads as the op (parallel_for chunks of memcpy):
// one core alone cannot saturate the memory system, and the op is not run on one either.
// The ops run as a user calls them: forward through the public function under NoGrad (output
// allocation included), backward by calling the closure the forward recorded on the tape.
// Prints tg::isa_report() first; the JSON's context has it as tapegrad_isa (TG_ISA forces one).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "tapegrad.h"

namespace {

using namespace tg;

constexpr std::int64_t kElements = std::int64_t{1} << 22;  // 4M floats, 16 MiB per tensor
constexpr std::int64_t kFeatures = 1024;                   // BatchNorm runs on [4096, 1024]

void set_bandwidth(benchmark::State& state, double bytes) {
  state.counters["GB/s"] = benchmark::Counter(bytes * static_cast<double>(state.iterations()) * 1e-9,
                                              benchmark::Counter::kIsRate);
}

/// The yardstick: copy bytes/2 bytes with the op's threading, so `bytes` move in all.
void bench_memcpy(benchmark::State& state, double bytes) {
  const auto n = static_cast<std::int64_t>(bytes / 2);
  std::vector<char> src(static_cast<std::size_t>(n), 1), dst(static_cast<std::size_t>(n));
  for (auto _ : state) {
    parallel_for(n, [&](std::int64_t b, std::int64_t e) { std::memcpy(dst.data() + b, src.data() + b, e - b); });
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_bandwidth(state, bytes);
}

/// Times fn() under NoGrad.
void bench_forward(benchmark::State& state, double bytes, const std::function<Tensor()>& fn) {
  NoGrad no_grad;
  for (auto _ : state) {
    Tensor y = fn();
    benchmark::DoNotOptimize(y.raw_data());
  }
  set_bandwidth(state, bytes);
}

/// Records fn() once, then times the recorded backward closure alone (it accumulates into x.grad).
void bench_backward(benchmark::State& state, double bytes, const std::function<Tensor()>& fn) {
  tape().clear();
  Tensor y = fn();
  Tensor gy = full(y.shape(), 1e-3, y.dtype());
  Record& record = tape().mutable_records().back();
  {
    NoGrad no_grad;
    for (auto _ : state) {
      record.backward(gy, y);
      benchmark::ClobberMemory();
    }
  }
  tape().clear();
  set_bandwidth(state, bytes);
}

struct Inputs {
  Generator gen{1};
  Tensor x = randn({kElements / kFeatures, kFeatures}, gen).requires_grad(true);
  Tensor weight = ones({kFeatures}).requires_grad(true), bias = zeros({kFeatures}).requires_grad(true);
  Tensor running_mean = zeros({kFeatures}), running_var = ones({kFeatures});
  Generator dropout_gen{2};
};

Inputs& inputs() {
  static Inputs in;
  return in;
}

void add_pair(const std::string& workload, double bytes, std::function<void(benchmark::State&)> fn) {
  const std::string n = std::to_string(kElements);
  benchmark::RegisterBenchmark((workload + "/tapegrad/" + n).c_str(), fn)->Unit(benchmark::kMicrosecond)->UseRealTime();
  benchmark::RegisterBenchmark((workload + "/memcpy/" + n).c_str(), [bytes](benchmark::State& s) { bench_memcpy(s, bytes); })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

void register_all() {
  inputs();  // made now, not inside the first timed run
  const double n = static_cast<double>(kElements), f = sizeof(float);
  auto selu_fn = [] { return selu(inputs().x); };
  auto dropout_fn = [] { return alpha_dropout(inputs().x, 0.05, true, inputs().dropout_gen); };
  auto bn_fn = [] {
    Inputs& in = inputs();
    return batch_norm(in.x, in.running_mean, in.running_var, in.weight, in.bias, true);
  };
  add_pair("selu_forward", 2 * n * f, [=](benchmark::State& s) { bench_forward(s, 2 * n * f, selu_fn); });
  add_pair("selu_backward", 4 * n * f, [=](benchmark::State& s) { bench_backward(s, 4 * n * f, selu_fn); });
  // forward writes y and the saved gain; backward reads gain, gy, gx and writes gx.
  add_pair("alpha_dropout_forward", 3 * n * f, [=](benchmark::State& s) { bench_forward(s, 3 * n * f, dropout_fn); });
  add_pair("alpha_dropout_backward", 4 * n * f, [=](benchmark::State& s) { bench_backward(s, 4 * n * f, dropout_fn); });
  add_pair("batch_norm_forward", 2 * n * f, [=](benchmark::State& s) { bench_forward(s, 2 * n * f, bn_fn); });
  add_pair("batch_norm_backward", 4 * n * f, [=](benchmark::State& s) { bench_backward(s, 4 * n * f, bn_fn); });
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("%s\n", tg::isa_report().c_str());
  benchmark::AddCustomContext("tapegrad_isa", tg::isa_name(tg::active_isa()));
  benchmark::AddCustomContext("tapegrad_isa_report", tg::isa_report());
  register_all();
  benchmark::Initialize(&argc, argv, [] {
    std::puts("usage: bench_kernels [Google Benchmark flags below]");
    benchmark::PrintDefaultHelp();
  });
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
