// tapegrad's float GEMM against OpenBLAS's cblas_sgemm on the same operands, at 1 and 2 threads,
// and the fused Linear+SELU forward against the GEMM alone.
//
//   OPENBLAS_CORETYPE=SkylakeX bench_gemm --benchmark_min_time=0.2
//   TG_ISA=avx2 OPENBLAS_CORETYPE=Haswell bench_gemm
//
// Prints tg::isa_report() and the kernels OpenBLAS runs first; both are also in the JSON's
// context (tapegrad_isa, openblas_core), so every ratio says which instruction sets it compared.
// Pairs (t<n> = n threads, set in the program for both libraries; OPENBLAS_NUM_THREADS must not
// be below 2):
//   gemm/tapegrad/<M>x<N>x<K>[/suffix]/t<n>  beside  gemm/openblas/<same>/t<n>
//     square products, and the three products of an FNN layer at batch 128 (suffix: x_wt = X·Wᵀ
//     forward, gt_x = Gᵀ·X weight gradient, g_w = G·W input gradient). For each shape the order is
//     tapegrad t1, OpenBLAS t1, tapegrad t2, OpenBLAS t2, so the thread speed-up comes from two
//     neighbouring runs, and tapegrad at 2 threads never starts while OpenBLAS's 2-thread workers
//     still spin (they yield-spin about 0.1 s after a call before they sleep).
//   linear_selu/fused/128x<W>x<W>/t<n>    linear(x, w, b, Activation::selu) under NoGrad
//   linear_selu/gemm/128x<W>x<W>/t<n>     the same X·Wᵀ as kernels::gemm alone: no bias, no activation
//   linear_selu/linear/128x<W>x<W>/t<n>   linear(x, w, b): the GEMM with the bias in its write-back
//   linear_selu/unfused/128x<W>x<W>/t<n>  selu(linear(x, w, b)): two ops, y written twice
// OpenBLAS is linked here only, never into the library. OpenBLAS 0.3.21 (Debian bookworm) does not
// recognise every recent CPU and then falls back to its SSE3 "Prescott" kernels; OPENBLAS_CORETYPE
// chooses the fair yardstick (bench/run_bench.py sets it from tapegrad's instruction set).
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/measure.h"
#include "ops/gemm.h"
#include "tapegrad.h"

namespace {

using namespace tg;

constexpr int kThreadCounts[] = {1, 2};

/// C [M, N] = op(A)·op(B); A is stored [M, K] ([K, M] if transpose_a), B [K, N] ([N, K] if transpose_b).
struct Product {
  std::int64_t M, N, K;
  bool transpose_a, transpose_b;
  std::string suffix;
  std::string shape() const {
    return std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K) + suffix;
  }
};

std::vector<float> random_floats(std::int64_t n, Generator& gen) {
  const Tensor t = randn({n}, gen);
  return {t.data<float>(), t.data<float>() + n};
}

struct Operands {
  std::vector<float> a, b, c;
  explicit Operands(const Product& p) : c(p.M * p.N) {
    Generator gen(1);
    a = random_floats(p.M * p.K, gen);
    b = random_floats(p.K * p.N, gen);
  }
};

void set_flops(benchmark::State& state, std::int64_t macs) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(2e-9 * double(macs) * double(state.iterations()), benchmark::Counter::kIsRate);
}

/// Both libraries run on `threads` threads from here on.
void use_threads(int threads) {
  set_num_threads(threads);
  openblas_set_num_threads(threads);
}

void bench_tapegrad(benchmark::State& state, const Product& p, int threads) {
  use_threads(threads);
  Operands o(p);
  for (auto _ : state) {
    kernels::gemm<float>(p.M, p.N, p.K, o.a.data(), p.transpose_a ? 1 : p.K, p.transpose_a ? p.M : 1, o.b.data(),
                         p.transpose_b ? 1 : p.N, p.transpose_b ? p.K : 1, o.c.data(), p.N, false);
    benchmark::DoNotOptimize(o.c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, p.M * p.N * p.K);
}

void bench_openblas(benchmark::State& state, const Product& p, int threads) {
  use_threads(threads);
  Operands o(p);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, p.transpose_a ? CblasTrans : CblasNoTrans, p.transpose_b ? CblasTrans : CblasNoTrans,
                int(p.M), int(p.N), int(p.K), 1.0f, o.a.data(), int(p.transpose_a ? p.M : p.K), o.b.data(),
                int(p.transpose_b ? p.K : p.N), 0.0f, o.c.data(), int(p.N));
    benchmark::DoNotOptimize(o.c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, p.M * p.N * p.K);
}

/// The forward of one layer, x [batch, width] → [batch, width], in four ways (see the top).
enum class LayerForward { fused, gemm, linear, unfused };

void bench_layer(benchmark::State& state, std::int64_t batch, std::int64_t width, LayerForward how, int threads) {
  use_threads(threads);
  Generator gen(1);
  const Tensor x = randn({batch, width}, gen), w = randn({width, width}, gen), b = randn({width}, gen);
  Tensor out = empty({batch, width});
  NoGrad no_grad;
  for (auto _ : state) {
    switch (how) {
      case LayerForward::fused: out = linear(x, w, b, Activation::selu); break;
      case LayerForward::linear: out = linear(x, w, b); break;
      case LayerForward::unfused: out = selu(linear(x, w, b)); break;
      case LayerForward::gemm:  // X·Wᵀ: W [width, width] read through strides as its transpose
        kernels::gemm<float>(batch, width, width, x.data<float>(), width, 1, w.data<float>(), 1, width,
                             out.data<float>(), width, false);
        break;
    }
    benchmark::DoNotOptimize(out.raw_data());
    benchmark::ClobberMemory();
  }
  set_flops(state, batch * width * width);
}

void register_products() {
  std::vector<Product> products;
  for (std::int64_t n : {256, 512, 1024, 2048}) products.push_back({n, n, n, false, false, ""});
  for (std::int64_t width : {784, 3072}) {
    products.push_back({128, width, width, false, true, "/x_wt"});  // forward: X·Wᵀ
    products.push_back({width, width, 128, true, false, "/gt_x"});  // weight gradient: Gᵀ·X
    products.push_back({128, width, width, false, false, "/g_w"});  // input gradient: G·W
  }
  for (const Product& p : products) {
    for (int t : kThreadCounts) {
      const std::string threads = "/t" + std::to_string(t);
      benchmark::RegisterBenchmark(("gemm/tapegrad/" + p.shape() + threads).c_str(), bench_tapegrad, p, t)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("gemm/openblas/" + p.shape() + threads).c_str(), bench_openblas, p, t)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
}

void register_layers() {
  constexpr std::int64_t kBatch = 128;
  const std::pair<LayerForward, const char*> ways[] = {
      {LayerForward::fused, "fused"}, {LayerForward::gemm, "gemm"},
      {LayerForward::linear, "linear"}, {LayerForward::unfused, "unfused"}};
  for (std::int64_t width : {784, 3072}) {
    const std::string shape = std::to_string(kBatch) + "x" + std::to_string(width) + "x" + std::to_string(width);
    for (int t : kThreadCounts) {
      for (const auto& [how, name] : ways) {
        const std::string full_name = "linear_selu/" + std::string(name) + "/" + shape + "/t" + std::to_string(t);
        benchmark::RegisterBenchmark(full_name.c_str(), bench_layer, kBatch, width, how, t)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string isa = isa_report(), openblas = bench::openblas_core();
  std::printf("%s\nopenblas: %s (%s)\n", isa.c_str(), openblas.c_str(), openblas_get_config());
  openblas_set_num_threads(2);
  if (openblas_get_num_threads() < 2) {
    std::fprintf(stderr, "bench_gemm: OpenBLAS runs at most %d thread(s) (OPENBLAS_NUM_THREADS?); "
                         "its 2-thread rows would not be what they say\n", openblas_get_num_threads());
    return 1;
  }
  benchmark::AddCustomContext("tapegrad_isa", isa_name(active_isa()));
  benchmark::AddCustomContext("tapegrad_isa_report", isa);
  benchmark::AddCustomContext("openblas_core", openblas);
  register_products();
  register_layers();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
