#include <cmath>
#include <limits>

#include "ops/gemm.h"
#include "support.h"

using namespace tg;

namespace {

std::vector<double> random_values(std::int64_t n, std::uint64_t seed) {
  // Rounded to float so that float and double GEMMs see the same inputs.
  std::vector<double> v = test::random_tensor({n}, DType::float32, seed).to_vector();
  return v;
}

/// A product op(A)·op(B) with its inputs and the double-precision reference, for one shape.
struct Product {
  std::int64_t M, N, K;
  std::vector<double> a, b, c0, bias;  // logical values: a is M×K, b is K×N, c0 and the result M×N
  std::vector<double> ab, abs_ab;      // Σ a·b and Σ |a|·|b|, in double

  Product(std::int64_t M_, std::int64_t N_, std::int64_t K_) : M(M_), N(N_), K(K_) {
    a = random_values(M * K, 1 + M), b = random_values(K * N, 2 + N), c0 = random_values(M * N, 3 + K);
    bias = random_values(N, 4);
    ab.assign(M * N, 0.0), abs_ab.assign(M * N, 0.0);
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t p = 0; p < K; ++p)
        for (std::int64_t j = 0; j < N; ++j) {
          ab[i * N + j] += a[i * K + p] * b[p * N + j];
          abs_ab[i * N + j] += std::abs(a[i * K + p] * b[p * N + j]);
        }
  }
};

struct Variant {
  bool transpose_a, transpose_b, accumulate, with_bias;
};

std::string str(const Product& p, const Variant& v, const char* dtype) {
  return cat(dtype, " M=", p.M, " N=", p.N, " K=", p.K, v.transpose_a ? " Aᵀ" : "", v.transpose_b ? " Bᵀ" : "",
             v.accumulate ? " accumulate" : "", v.with_bias ? " bias" : "");
}

/// Runs the GEMM for one variant, with C's rows padded by one sentinel column (ldc = N + 1).
/// The stored A is M×K, or K×M read through strides (1, M) when transposed; likewise B.
template <class T>
std::vector<T> run_gemm(const Product& p, const Variant& v) {
  const std::int64_t M = p.M, N = p.N, K = p.K, ldc = N + 1;
  std::vector<T> A(M * K), B(K * N), bias(p.bias.begin(), p.bias.end()), C(M * ldc, T(12345));
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t k = 0; k < K; ++k) A[v.transpose_a ? k * M + i : i * K + k] = T(p.a[i * K + k]);
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < N; ++j) B[v.transpose_b ? j * K + k : k * N + j] = T(p.b[k * N + j]);
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j)
      C[i * ldc + j] = v.accumulate ? T(p.c0[i * N + j]) : std::numeric_limits<T>::quiet_NaN();
  kernels::gemm<T>(M, N, K, A.data(), v.transpose_a ? 1 : K, v.transpose_a ? M : 1, B.data(), v.transpose_b ? 1 : N,
                   v.transpose_b ? K : 1, C.data(), ldc, v.accumulate, v.with_bias ? bias.data() : nullptr);
  return C;
}

/// Largest error of C against the reference, in units of the bound (K + 2)·eps·Σ|terms|
/// (a sum of K + 2 rounded terms is within that of the exact sum). > 1 is a failure.
/// The sentinel column must be untouched: an error there counts as infinite.
template <class T>
double scaled_error(const Product& p, const Variant& v, const std::vector<T>& C) {
  const std::int64_t ldc = p.N + 1;
  double worst = 0;
  for (std::int64_t i = 0; i < p.M; ++i) {
    if (C[i * ldc + p.N] != T(12345)) return std::numeric_limits<double>::infinity();
    for (std::int64_t j = 0; j < p.N; ++j) {
      const std::int64_t e = i * p.N + j;
      const double c0 = v.accumulate ? p.c0[e] : 0.0, bias = v.with_bias ? p.bias[j] : 0.0, extra = c0 + bias;
      const double magnitude = p.abs_ab[e] + std::abs(c0) + std::abs(bias) + std::numeric_limits<double>::min();
      const double bound = double(p.K + 2) * std::numeric_limits<T>::epsilon() * magnitude;
      const double error = std::abs(double(C[i * ldc + j]) - (p.ab[e] + extra)) / bound;
      if (!(error <= worst)) worst = error;  // NaN propagates as the worst
    }
  }
  return worst;
}

/// Checks each variant of one product against the reference with 1 thread, and that 2 threads
/// give the same bits for variants[i] when i % thread_check_every == thread_check_offset.
template <class T>
void check_product(const Product& p, const std::vector<Variant>& variants, std::size_t thread_check_every = 1,
                   std::size_t thread_check_offset = 0) {
  const char* dtype = sizeof(T) == 4 ? "float32" : "float64";
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const Variant& v = variants[i];
    auto run = [&] { return run_gemm<T>(p, v); };
    std::vector<T> c;
    if (i % thread_check_every == thread_check_offset) {
      INFO(str(p, v, dtype));
      c = test::require_same_bits_across_threads(run);
    } else {
      c = test::with_threads(1, run);
    }
    // Tens of thousands of products pass: describe one only when it fails.
    const double error = scaled_error(p, v, c);
    if (!(error <= 1.0)) FAIL(str(p, v, dtype) << ": scaled error " << error);
  }
}

std::vector<Variant> all_variants() {
  std::vector<Variant> out;
  for (int bits = 0; bits < 16; ++bits) out.push_back({bool(bits & 1), bool(bits & 2), bool(bits & 4), bool(bits & 8)});
  return out;
}

}  // namespace

TEST_CASE("gemm matches a double reference over odd shapes, all transposes, accumulate and bias") {
  const std::vector<std::int64_t> sizes = {1, 2, 5, 6, 7, 15, 16, 17, 33, 100, 145, 257};
  const std::vector<Variant> variants = all_variants();
  std::int64_t checked = 0;
  for (std::int64_t M : sizes)
    for (std::int64_t N : sizes)
      for (std::int64_t K : sizes) {
        // Two threads are compared on one variant per shape (rotating), to keep the run short
        // on a loaded machine; the block-crossing test below compares every variant.
        const Product p(M, N, K);
        check_product<float>(p, variants, variants.size(), (M + N + K) % variants.size());
        check_product<double>(p, variants, variants.size(), (M + 2 * N + K) % variants.size());
        ++checked;
      }
  CHECK(checked == 12 * 12 * 12);
}

TEST_CASE("gemm crosses every cache block boundary and both thread splits") {
  for (bool is_float : {true, false}) {
    const kernels::GemmBlocking blk = is_float ? kernels::gemm_blocking<float>() : kernels::gemm_blocking<double>();
    INFO("blocking mr=" << blk.mr << " nr=" << blk.nr << " mc=" << blk.mc << " kc=" << blk.kc << " nc=" << blk.nc);
    const std::vector<Product> products = {
        Product(2 * blk.mc + 7, blk.nc + 2 * blk.nr + 5, 2 * blk.kc + 9),  // M > 2·MC, N > NC, K > 2·KC
        Product(1000, 10, 300),                                           // N narrow: threads split M
    };
    const std::vector<Variant> variants = {{false, false, true, true}, {true, false, false, true},
                                           {false, true, true, false}, {true, true, false, false}};
    for (const Product& p : products) {
      if (is_float) check_product<float>(p, variants);
      else check_product<double>(p, variants);
    }
  }
}

TEST_CASE("gemm with K = 0 writes the bias, or adds it when accumulating") {
  float C[2 * 3] = {1, 2, 3, 4, 5, 6};
  const float bias[3] = {10, 20, 30};
  kernels::gemm<float>(2, 3, 0, nullptr, 0, 1, nullptr, 3, 1, C, 3, true, bias);
  CHECK(std::vector<float>(C, C + 6) == std::vector<float>{11, 22, 33, 14, 25, 36});
  kernels::gemm<float>(2, 3, 0, nullptr, 0, 1, nullptr, 3, 1, C, 3, false, nullptr);
  CHECK(std::vector<float>(C, C + 6) == std::vector<float>(6, 0.0f));
}

TEST_CASE("gemm gives the same bits with 1 and 2 threads on an FNN-sized product") {
  // 128×784 · (784×784)ᵀ: a batch times a transposed weight, as in linear's forward.
  const std::int64_t M = 128, N = 784, K = 784;
  std::vector<double> xv = random_values(M * K, 5), wv = random_values(N * K, 6);
  std::vector<float> x(xv.begin(), xv.end()), w(wv.begin(), wv.end()), bias(wv.begin(), wv.begin() + N);
  const std::vector<float> y = test::require_same_bits_across_threads([&] {
    std::vector<float> out(M * N);
    kernels::gemm<float>(M, N, K, x.data(), K, 1, w.data(), 1, K, out.data(), N, false, bias.data());
    return out;
  });
  double sum = 0;  // and the product is not trivially zero
  for (float v : y) sum += std::abs(v);
  REQUIRE(sum > M * N);
}
