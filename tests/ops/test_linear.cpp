#include <array>
#include <cmath>
#include <limits>

#include "autograd/tape.h"
#include "ops/matmul.h"
#include "support.h"

using namespace tg;

namespace {

/// Largest error of y = x·Wᵀ + b against a double reference, in units of the bound
/// (in + 2)·eps·(Σ|x·w| + |b|) for y's dtype. > 1 is a failure.
double scaled_error(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& bias) {
  const std::vector<double> xv = x.to_vector(), wv = w.to_vector(), yv = y.to_vector();
  const std::vector<double> bv = bias.defined() ? bias.to_vector() : std::vector<double>(w.size(0), 0.0);
  const std::int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  const double eps = y.dtype() == DType::float32 ? std::numeric_limits<float>::epsilon()
                                                 : std::numeric_limits<double>::epsilon();
  double worst = 0;
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t o = 0; o < out; ++o) {
      double sum = bv[o], magnitude = std::abs(bv[o]) + std::numeric_limits<double>::min();
      for (std::int64_t i = 0; i < in; ++i) sum += xv[n * in + i] * wv[o * in + i], magnitude += std::abs(xv[n * in + i] * wv[o * in + i]);
      worst = std::max(worst, std::abs(yv[n * out + o] - sum) / (double(in + 2) * eps * magnitude));
    }
  return worst;
}

}  // namespace

TEST_CASE("linear forward matches the double reference, with and without bias, at SIMD-straddling sizes") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes)
      for (auto [batch, in, out] : {std::array<std::int64_t, 3>{n, 3, 5}, {3, n, 5}, {3, 5, n}})
        for (bool with_bias : {false, true}) {
          Tensor x = test::random_tensor({batch, in}, dtype, 1), w = test::random_tensor({out, in}, dtype, 2);
          Tensor b = with_bias ? test::random_tensor({out}, dtype, 3) : Tensor();
          Tensor y = linear(x, w, b);
          INFO(dtype_name(dtype) << " batch=" << batch << " in=" << in << " out=" << out << " bias=" << with_bias);
          REQUIRE(y.shape() == Shape{batch, out});
          REQUIRE(scaled_error(y, x, w, b) <= 1.0);
        }
}

TEST_CASE("linear gradient matches finite differences, with and without bias") {
  Tensor x = test::random_tensor({4, 3}, DType::float64, 4), w = test::random_tensor({5, 3}, DType::float64, 5);
  Tensor b = test::random_tensor({5}, DType::float64, 6);
  x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2]); }, {x, w, b});
  test::require_gradcheck([](const std::vector<Tensor>& in) { return linear(in[0], in[1]); }, {x, w});
  // A bias that is not trained still shifts the output but gets no gradient.
  Tensor frozen = test::random_tensor({5}, DType::float64, 7);
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return linear(in[0], in[1], frozen); }, {x, w});
  CHECK(!frozen.grad().defined());
}

TEST_CASE("linear without bias is matmul(x, w, false, true), bit for bit, forward and backward") {
  // The composite oracle of the fused op: the same GEMM calls, so the same bits.
  auto run = [](bool fused) {
    Tensor x = test::random_tensor({37, 29}, DType::float32, 8), w = test::random_tensor({19, 29}, DType::float32, 9);
    x.requires_grad(true), w.requires_grad(true);
    Tensor y = fused ? linear(x, w) : matmul(x, w, false, true);
    backward(y, test::random_tensor(y.shape(), DType::float32, 10));
    return std::vector<Tensor>{y, x.grad(), w.grad()};
  };
  std::vector<Tensor> fused = run(true), composite = run(false);
  REQUIRE(test::bit_difference(fused, composite) == "");  // on failure, shows where they differ
}

TEST_CASE("linear bias gradient is the column sum of the output gradient") {
  Tensor x = test::random_tensor({6, 3}, DType::float64, 11), w = test::random_tensor({21, 3}, DType::float64, 12);
  Tensor b = zeros({21}, DType::float64);
  b.requires_grad(true);
  Tensor gy = test::random_tensor({6, 21}, DType::float64, 13);
  backward(linear(x, w, b), gy);
  std::vector<double> expected(21, 0.0);
  for (std::int64_t n = 0; n < 6; ++n)
    for (std::int64_t o = 0; o < 21; ++o) expected[o] += gy.at({n, o});
  REQUIRE(test::max_rel_diff(b.grad(), expected) <= 1e-15);
}

TEST_CASE("linear rejects bad shapes and dtypes, naming the op and the shapes") {
  REQUIRE_THROWS_WITH(linear(zeros({32, 784}), zeros({10, 512})),
                      Catch::Contains("linear") && Catch::Contains("[32, 784]") && Catch::Contains("[10, 512]") &&
                          Catch::Contains("784") && Catch::Contains("512"));
  REQUIRE_THROWS_WITH(linear(zeros({784}), zeros({10, 784})),
                      Catch::Contains("linear") && Catch::Contains("[784]") && Catch::Contains("2-D"));
  REQUIRE_THROWS_WITH(linear(zeros({2, 3}), zeros({3})), Catch::Contains("linear") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(linear(zeros({2, 3}), zeros({4, 3}), zeros({3})),
                      Catch::Contains("linear") && Catch::Contains("bias is [3]") && Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(linear(zeros({2, 3}), zeros({4, 3}), zeros({4, 1})),
                      Catch::Contains("linear") && Catch::Contains("[4, 1]"));
  REQUIRE_THROWS_WITH(linear(zeros({2, 3}), zeros({4, 3}, DType::float64)),
                      Catch::Contains("linear") && Catch::Contains("float64") && Catch::Contains("dtypes"));
  REQUIRE_THROWS_WITH(linear(zeros({2, 3}), zeros({4, 3}), zeros({4}, DType::float64)),
                      Catch::Contains("linear") && Catch::Contains("dtypes"));
}

TEST_CASE("linear forward and backward give the same bits with 1 and 2 threads") {
  // batch·out = 256·784 is far above kParallelGrain, so the bias gradient goes parallel too.
  test::require_same_bits_across_threads([] {
    Tensor x = test::random_tensor({256, 300}, DType::float32, 14), w = test::random_tensor({784, 300}, DType::float32, 15);
    Tensor b = test::random_tensor({784}, DType::float32, 16);
    x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
    Tensor y = linear(x, w, b);
    backward(y, test::random_tensor(y.shape(), DType::float32, 17));
    return std::vector<Tensor>{y, x.grad(), w.grad(), b.grad()};
  });
}
