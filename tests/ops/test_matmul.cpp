#include <array>
#include <cmath>
#include <limits>

#include "autograd/tape.h"
#include "ops/matmul.h"
#include "support.h"

using namespace tg;

namespace {

/// op(x)[i, j] for a 2-D tensor's values.
double element(const std::vector<double>& x, const Tensor& t, bool transposed, std::int64_t i, std::int64_t j) {
  return transposed ? x[j * t.size(1) + i] : x[i * t.size(1) + j];
}

/// Largest error of y = op(a)·op(b) against a double reference, in units of the bound
/// (K + 1)·eps·Σ|a·b| for y's dtype. > 1 is a failure.
double scaled_error(const Tensor& y, const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const std::vector<double> av = a.to_vector(), bv = b.to_vector(), yv = y.to_vector();
  const std::int64_t M = y.size(0), N = y.size(1), K = a.size(ta ? 0 : 1);
  const double eps = y.dtype() == DType::float32 ? std::numeric_limits<float>::epsilon()
                                                 : std::numeric_limits<double>::epsilon();
  double worst = 0;
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      double sum = 0, magnitude = std::numeric_limits<double>::min();
      for (std::int64_t p = 0; p < K; ++p) {
        const double term = element(av, a, ta, i, p) * element(bv, b, tb, p, j);
        sum += term, magnitude += std::abs(term);
      }
      worst = std::max(worst, std::abs(yv[i * N + j] - sum) / (double(K + 1) * eps * magnitude));
    }
  return worst;
}

Tensor operand(std::int64_t rows, std::int64_t cols, bool transposed, DType dtype, std::uint64_t seed) {
  return test::random_tensor(transposed ? Shape{cols, rows} : Shape{rows, cols}, dtype, seed);
}

}  // namespace

TEST_CASE("matmul forward matches the double reference for every transpose, at SIMD-straddling sizes") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes)
      for (auto [M, N, K] : {std::array<std::int64_t, 3>{n, 3, 5}, {3, n, 5}, {3, 5, n}})
        for (int t = 0; t < 4; ++t) {
          const bool ta = t & 1, tb = t & 2;
          Tensor a = operand(M, K, ta, dtype, 1), b = operand(K, N, tb, dtype, 2);
          Tensor y = matmul(a, b, ta, tb);
          INFO(dtype_name(dtype) << " M=" << M << " N=" << N << " K=" << K << " ta=" << ta << " tb=" << tb);
          REQUIRE(y.shape() == Shape{M, N});
          REQUIRE(scaled_error(y, a, b, ta, tb) <= 1.0);
        }
}

TEST_CASE("matmul gradient matches finite differences for every transpose") {
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    INFO("ta=" << ta << " tb=" << tb);
    Tensor a = operand(3, 4, ta, DType::float64, 3), b = operand(4, 5, tb, DType::float64, 4);
    a.requires_grad(true), b.requires_grad(true);
    test::require_gradcheck([=](const std::vector<Tensor>& in) { return matmul(in[0], in[1], ta, tb); }, {a, b});
  }
}

TEST_CASE("matmul gradient with one operand used twice (x·xᵀ) and with a constant operand") {
  Tensor x = test::random_tensor({4, 3}, DType::float64, 5);
  x.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[0], false, true); }, {x});
  test::require_gradcheck([](const std::vector<Tensor>& in) { return matmul(in[0], in[0], true, false); }, {x});
  Tensor constant = test::random_tensor({3, 2}, DType::float64, 6);
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return matmul(in[0], constant); }, {x});
  CHECK(!constant.grad().defined());
}

TEST_CASE("matmul rejects bad shapes and dtypes, naming the op and the shapes") {
  REQUIRE_THROWS_WITH(matmul(zeros({32, 784}), zeros({512, 10})),
                      "matmul: a is [32, 784], b is [512, 10]: inner dimensions 784 and 512 differ");
  REQUIRE_THROWS_WITH(matmul(zeros({32, 784}), zeros({10, 512}), false, true),
                      Catch::Contains("b is [10, 512] (transposed)") && Catch::Contains("784 and 512 differ"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3, 4}), zeros({4, 5})),
                      Catch::Contains("matmul") && Catch::Contains("[2, 3, 4]") && Catch::Contains("2-D"));
  REQUIRE_THROWS_WITH(matmul(zeros({2, 3}), zeros({3, 4}, DType::float64)),
                      Catch::Contains("matmul") && Catch::Contains("[2, 3]") && Catch::Contains("float64"));
  REQUIRE_THROWS_WITH(matmul(labels({1, 2}).reshape({1, 2}), labels({1, 2}).reshape({2, 1})),
                      Catch::Contains("matmul") && Catch::Contains("int64"));
}

TEST_CASE("matmul forward and backward give the same bits with 1 and 2 threads") {
  test::require_same_bits_across_threads([] {
    Tensor a = test::random_tensor({784, 128}, DType::float32, 7), b = test::random_tensor({256, 784}, DType::float32, 8);
    a.requires_grad(true), b.requires_grad(true);
    Tensor y = matmul(a, b, true, true);  // [128, 256]
    backward(y, test::random_tensor(y.shape(), DType::float32, 9));
    return std::vector<Tensor>{y, a.grad(), b.grad()};
  });
}
