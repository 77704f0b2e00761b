#include <cmath>

#include "autograd/tape.h"
#include "ops/norm.h"
#include "support.h"

using namespace tg;

namespace {
// Double-precision reference: normalise each row of `features` elements with its mean and biased
// variance. Empty weight/bias mean γ = 1, β = 0.
std::vector<double> layer_norm_reference(const std::vector<double>& x, std::int64_t features,
                                         const std::vector<double>& weight, const std::vector<double>& bias,
                                         double eps) {
  std::vector<double> y(x.size());
  for (std::size_t r = 0; features > 0 && r < x.size() / features; ++r) {
    const double* row = x.data() + r * features;
    double mean = 0, var = 0;
    for (std::int64_t k = 0; k < features; ++k) mean += row[k] / features;
    for (std::int64_t k = 0; k < features; ++k) var += (row[k] - mean) * (row[k] - mean) / features;
    for (std::int64_t k = 0; k < features; ++k)
      y[r * features + k] = (weight.empty() ? 1.0 : weight[k]) * (row[k] - mean) / std::sqrt(var + eps) +
                            (bias.empty() ? 0.0 : bias[k]);
  }
  return y;
}

}  // namespace

TEST_CASE("layer_norm forward matches the double reference at feature counts around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t features : test::kSimdSizes) {
      for (bool affine : {false, true}) {
        Tensor x = test::random_tensor({5, features}, dtype, 3, 2.0, 0.5);
        Tensor weight = affine ? test::random_tensor({features}, dtype, 4, 1.0, 1.0) : Tensor();
        Tensor bias = affine ? test::random_tensor({features}, dtype, 5) : Tensor();
        Tensor y = layer_norm(x, weight, bias);
        INFO(dtype_name(dtype) << " features=" << features << " affine=" << affine);
        const std::vector<double> expected = layer_norm_reference(
            x.to_vector(), features, test::values_or_empty(weight), test::values_or_empty(bias), 1e-5);
        REQUIRE(test::max_rel_diff(y, expected) <= (dtype == DType::float32 ? 2e-6 : 1e-14));
      }
    }
  }
}

TEST_CASE("layer_norm normalises the last axis of a 3-D tensor") {
  Tensor x = test::random_tensor({2, 3, 7}, DType::float64, 8, 3.0, 1.0);
  Tensor w = test::random_tensor({7}, DType::float64, 9), b = test::random_tensor({7}, DType::float64, 10);
  Tensor y = layer_norm(x, w, b, 1e-3);
  CHECK(y.shape() == Shape{2, 3, 7});
  CHECK(test::max_rel_diff(y, layer_norm_reference(x.to_vector(), 7, w.to_vector(), b.to_vector(), 1e-3)) <= 1e-14);
  // Without affine every row has mean 0 and (biased) variance 1/(1 + eps/var).
  std::vector<double> plain = layer_norm(x, Tensor(), Tensor(), 0.0).to_vector();
  for (int r = 0; r < 6; ++r) {
    double mean = 0, var = 0;
    for (int k = 0; k < 7; ++k) mean += plain[r * 7 + k] / 7;
    for (int k = 0; k < 7; ++k) var += (plain[r * 7 + k] - mean) * (plain[r * 7 + k] - mean) / 7;
    CHECK(std::abs(mean) < 1e-15);
    CHECK(var == Approx(1.0).epsilon(1e-14));
  }
}

TEST_CASE("layer_norm gradient matches finite differences, with and without affine") {
  for (std::int64_t features : {1, 5, 9}) {
    Tensor x = test::random_tensor({3, features}, DType::float64, 21, 2.0, 0.3);
    Tensor w = test::random_tensor({features}, DType::float64, 22, 1.0, 1.0);
    Tensor b = test::random_tensor({features}, DType::float64, 23);
    x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
    INFO("features=" << features);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2]); }, {x, w, b});
    test::require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], Tensor(), Tensor()); }, {x});
    test::require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], Tensor()); }, {x, w});
    test::require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], Tensor(), in[1]); }, {x, b});
  }
  Tensor x3 = test::random_tensor({2, 2, 6}, DType::float64, 24);
  Tensor w = test::random_tensor({6}, DType::float64, 25), b = test::random_tensor({6}, DType::float64, 26);
  x3.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2]); }, {x3, w, b});
}

TEST_CASE("layer_norm gradients accumulate when x, weight and bias fan out") {
  Tensor x = test::random_tensor({4, 5}, DType::float64, 61);
  Tensor w = test::random_tensor({5}, DType::float64, 62), b = test::random_tensor({5}, DType::float64, 63);
  Tensor gy = test::random_tensor({4, 5}, DType::float64, 64);
  x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  test::require_gradients_accumulate([](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2]); },
                                     {x, w, b}, gy);
}

TEST_CASE("layer_norm float32 backward agrees with float64") {
  for (std::int64_t features : test::kSimdSizes) {
    // One feature is degenerate: x̂ ≡ 0 and gx ≡ 0 exactly, but inv_std = 1/sqrt(eps) ≈ 316 scales
    // float32's rounding of γ·gy up to ~2e-5 — conditioning, not an error. Two or more are tested.
    if (features < 2) continue;
    Tensor x64 = test::random_tensor({6, features}, DType::float64, 41, 1.5, 0.2);
    Tensor w64 = test::random_tensor({features}, DType::float64, 42, 1.0, 1.0);
    Tensor b64 = test::random_tensor({features}, DType::float64, 43);
    Tensor gy64 = test::random_tensor({6, features}, DType::float64, 44);
    x64.requires_grad(true), w64.requires_grad(true), b64.requires_grad(true);
    INFO("features=" << features);
    test::require_float32_backward_matches_float64(
        [](const std::vector<Tensor>& in) { return layer_norm(in[0], in[1], in[2]); }, {x64, w64, b64}, gy64);
  }
}

TEST_CASE("layer_norm forward and backward are bit-identical with 1 and 2 threads") {
  Tensor x = test::random_tensor({512, 203}, DType::float32, 51);
  Tensor w = test::random_tensor({203}, DType::float32, 52), b = test::random_tensor({203}, DType::float32, 53);
  Tensor gy = test::random_tensor({512, 203}, DType::float32, 54);
  x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  test::require_same_bits_across_threads([&] {
    x.zero_grad(), w.zero_grad(), b.zero_grad();
    Tensor y = layer_norm(x, w, b);
    backward(y, gy);
    return std::vector<Tensor>{y, x.grad(), w.grad(), b.grad()};
  });
}

TEST_CASE("layer_norm rejects bad shapes, naming the op and the shapes") {
  Tensor x = test::random_tensor({4, 3});
  REQUIRE_THROWS_WITH(layer_norm(x, ones({5}, DType::float64), Tensor()),
                      "layer_norm: x is [4, 3], weight is [5]: expected [3]");
  REQUIRE_THROWS_WITH(layer_norm(x, Tensor(), ones({4}, DType::float64)),
                      "layer_norm: x is [4, 3], bias is [4]: expected [3]");
  REQUIRE_THROWS_WITH(layer_norm(x, ones({3}), Tensor()), Catch::Contains("layer_norm") && Catch::Contains("[3] float32"));
  REQUIRE_THROWS_WITH(layer_norm(full({}, 1.0, DType::float64), Tensor(), Tensor()),
                      Catch::Contains("layer_norm") && Catch::Contains("[]"));
  REQUIRE_THROWS_WITH(layer_norm(labels({1, 2}), Tensor(), Tensor()), Catch::Contains("layer_norm") && Catch::Contains("int64"));
}
