// tapegrad's float GEMM against OpenBLAS's cblas_sgemm on the same operands.
//
//   bench_gemm --benchmark_min_time=0.2
//   OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 bench_gemm
//
// Pairs gemm/tapegrad/<M>x<N>x<K> and gemm/openblas/<M>x<N>x<K>: square products, and the three
// products of an FNN layer at batch 128 (suffix: x_wt = X·Wᵀ forward, gt_x = Gᵀ·X weight
// gradient, g_w = G·W input gradient). OpenBLAS is linked here only, never into the library.
//
// OpenBLAS 0.3.21 (Debian bookworm) does not recognise recent Xeons and falls back to its
// SSE3 "Prescott" kernels; OPENBLAS_CORETYPE=Haswell gives the fair AVX2 yardstick.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <string>
#include <vector>

#include "tensor/random.h"
#include "bench/omp_env.h"
#include "ops/gemm.h"

namespace {

/// C [M, N] = op(A)·op(B); A is stored [M, K] ([K, M] if transpose_a), B [K, N] ([N, K] if transpose_b).
struct Product {
  std::int64_t M, N, K;
  bool transpose_a, transpose_b;
  std::string suffix;
  std::string name(const char* library) const {
    return "gemm/" + std::string(library) + "/" + std::to_string(M) + "x" + std::to_string(N) + "x" +
           std::to_string(K) + suffix;
  }
};

struct Operands {
  std::vector<float> a, b, c;
  explicit Operands(const Product& p) : c(p.M * p.N) {
    tg::Generator gen(1);
    a = to_floats(tg::randn({p.M * p.K}, gen));
    b = to_floats(tg::randn({p.K * p.N}, gen));
  }
  static std::vector<float> to_floats(const tg::Tensor& t) { return {t.data<float>(), t.data<float>() + t.numel()}; }
};

void set_flops(benchmark::State& state, const Product& p) {
  state.counters["GFLOP/s"] = benchmark::Counter(2e-9 * double(p.M * p.N * p.K) * double(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

void bench_tapegrad(benchmark::State& state, const Product& p) {
  Operands o(p);
  for (auto _ : state) {
    tg::kernels::gemm<float>(p.M, p.N, p.K, o.a.data(), p.transpose_a ? 1 : p.K, p.transpose_a ? p.M : 1, o.b.data(),
                             p.transpose_b ? 1 : p.N, p.transpose_b ? p.K : 1, o.c.data(), p.N, false);
    benchmark::DoNotOptimize(o.c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, p);
}

void bench_openblas(benchmark::State& state, const Product& p) {
  Operands o(p);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, p.transpose_a ? CblasTrans : CblasNoTrans, p.transpose_b ? CblasTrans : CblasNoTrans,
                int(p.M), int(p.N), int(p.K), 1.0f, o.a.data(), int(p.transpose_a ? p.M : p.K), o.b.data(),
                int(p.transpose_b ? p.K : p.N), 0.0f, o.c.data(), int(p.N));
    benchmark::DoNotOptimize(o.c.data());
    benchmark::ClobberMemory();
  }
  set_flops(state, p);
}

}  // namespace

int main(int argc, char** argv) {
  tg::bench::apply_omp_defaults(argv);  // Note [OpenMP settings of the benchmarks]
  std::vector<Product> products;
  for (std::int64_t n : {256, 512, 1024, 2048}) products.push_back({n, n, n, false, false, ""});
  for (std::int64_t width : {784, 3072}) {
    products.push_back({128, width, width, false, true, "/x_wt"});   // forward: X·Wᵀ
    products.push_back({width, width, 128, true, false, "/gt_x"});   // weight gradient: Gᵀ·X
    products.push_back({128, width, width, false, false, "/g_w"});   // input gradient: G·W
  }
  for (const Product& p : products) {
    benchmark::RegisterBenchmark(p.name("tapegrad").c_str(), bench_tapegrad, p)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(p.name("openblas").c_str(), bench_openblas, p)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
