// linear(x, w, b, Activation::relu / selu): the activation fused into the GEMM's write-back
// (ops/linear.cpp, ops/gemm.cpp), against its composite oracle relu/selu(linear(x, w, b)).
#include <array>
#include <cmath>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {

Tensor composite(const Tensor& x, const Tensor& w, const Tensor& b, Activation a) {
  Tensor z = linear(x, w, b);
  return a == Activation::relu ? relu(z) : selu(z);
}

double reference_activation(double z, Activation a) {
  constexpr double lambda = 1.0507009873554804934, alpha = 1.6732632423543772848;
  if (a == Activation::relu) return z > 0 ? z : 0;
  return z > 0 ? lambda * z : lambda * alpha * std::expm1(z);
}

}  // namespace

TEST_CASE("fused linear+activation forward matches a double reference at sizes around the tile widths") {
  for (Activation a : {Activation::relu, Activation::selu})
    for (DType dtype : {DType::float32, DType::float64})
      for (std::int64_t n : test::kSimdSizes)
        for (auto [batch, in, out] : {std::array<std::int64_t, 3>{n, 7, 9}, {5, n, 9}, {5, 7, n}, {9, 300, 33}}) {
          Tensor x = test::random_tensor({batch, in}, dtype, 1), w = test::random_tensor({out, in}, dtype, 2);
          Tensor b = test::random_tensor({out}, dtype, 3);
          const Tensor y = linear(x, w, b, a);
          INFO((a == Activation::relu ? "relu" : "selu") << " " << dtype_name(dtype) << " [" << batch << ", " << in
                                                         << "] -> " << out);
          REQUIRE(y.shape() == Shape{batch, out});
          const std::vector<double> xv = x.to_vector(), wv = w.to_vector(), bv = b.to_vector();
          std::vector<double> expected;
          for (std::int64_t r = 0; r < batch; ++r)
            for (std::int64_t o = 0; o < out; ++o) {
              double z = bv[o];
              for (std::int64_t i = 0; i < in; ++i) z += xv[r * in + i] * wv[o * in + i];
              expected.push_back(reference_activation(z, a));
            }
          const double scale = std::sqrt(static_cast<double>(in) + 1);  // the sum's rounding grows with in
          REQUIRE(test::max_rel_diff(y, expected) <= (dtype == DType::float32 ? 2e-6 : 1e-14) * scale);
        }
}

TEST_CASE("fused linear+activation equals its composite oracle bit for bit, forward and backward") {
  for (Activation a : {Activation::relu, Activation::selu}) {
    Tensor x = test::random_tensor({37, 300}, DType::float32, 4).requires_grad(true);
    Tensor w = test::random_tensor({45, 300}, DType::float32, 5).requires_grad(true);
    Tensor b = test::random_tensor({45}, DType::float32, 6).requires_grad(true);
    const Tensor fused = linear(x, w, b, a);
    backward(sum(fused));
    const std::vector<Tensor> fused_grads{x.grad(), w.grad(), b.grad()};
    x.zero_grad(), w.zero_grad(), b.zero_grad();
    const Tensor oracle = composite(x, w, b, a);
    backward(sum(oracle));
    // The same GEMM, and the activation through the same batch formula (ops/activations.h) in the
    // write-back as in the unary op: the same bits, forward and backward.
    CHECK(test::bit_difference(fused, oracle) == "");
    CHECK(test::bit_difference(fused_grads, std::vector<Tensor>{x.grad(), w.grad(), b.grad()}) == "");
  }
}

TEST_CASE("fused linear+activation gradient matches finite differences") {
  Tensor x = test::random_tensor({6, 5}, DType::float64, 7), w = test::random_tensor({9, 5}, DType::float64, 8);
  Tensor b = test::random_tensor({9}, DType::float64, 9);
  x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  for (Activation a : {Activation::relu, Activation::selu}) {
    test::require_gradcheck([a](const std::vector<Tensor>& in) { return linear(in[0], in[1], in[2], a); }, {x, w, b});
    test::require_gradcheck([a](const std::vector<Tensor>& in) { return linear(in[0], in[1], Tensor(), a); }, {x, w});
  }
}

TEST_CASE("fused linear+activation rejects bad shapes naming the fused op") {
  const Tensor x = test::random_tensor({4, 3}), w = test::random_tensor({5, 2});
  CHECK_THROWS_WITH(linear(x, w, Tensor(), Activation::selu),
                    Catch::StartsWith("linear+selu") && Catch::Contains("[4, 3]") && Catch::Contains("[5, 2]"));
  CHECK_THROWS_WITH(linear(x, test::random_tensor({5, 3}), test::random_tensor({4}), Activation::relu),
                    Catch::StartsWith("linear+relu") && Catch::Contains("bias must be [5]"));
}

TEST_CASE("fused linear+activation gives the same bits with 1 and 2 threads") {
  Tensor x = test::random_tensor({128, 784}, DType::float32, 10).requires_grad(true);
  Tensor w = test::random_tensor({784, 784}, DType::float32, 11).requires_grad(true);
  Tensor b = test::random_tensor({784}, DType::float32, 12).requires_grad(true);
  test::require_same_bits_across_threads([&] {
    x.zero_grad(), w.zero_grad(), b.zero_grad();
    Tensor y = linear(x, w, b, Activation::selu);
    backward(sum(y));
    return std::vector<Tensor>{y, x.grad(), w.grad(), b.grad()};
  });
}
