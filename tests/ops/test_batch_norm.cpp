#include <cmath>

#include "autograd/tape.h"
#include "ops/norm.h"
#include "support.h"

using namespace tg;

namespace {
// Double-precision reference for x [batch, features] (row-major). Empty weight/bias mean γ = 1, β = 0.
// Training normalises with the batch mean and biased variance; eval with the running stats.
std::vector<double> batch_norm_reference(const std::vector<double>& x, std::int64_t batch, std::int64_t features,
                                         const std::vector<double>& running_mean, const std::vector<double>& running_var,
                                         const std::vector<double>& weight, const std::vector<double>& bias,
                                         bool training, double eps) {
  std::vector<double> y(x.size());
  for (std::int64_t j = 0; j < features; ++j) {
    double mean = 0, var = 0;
    if (training) {
      for (std::int64_t i = 0; i < batch; ++i) mean += x[i * features + j] / batch;
      for (std::int64_t i = 0; i < batch; ++i) var += (x[i * features + j] - mean) * (x[i * features + j] - mean) / batch;
    } else {
      mean = running_mean[j], var = running_var[j];
    }
    for (std::int64_t i = 0; i < batch; ++i) {
      const double xhat = (x[i * features + j] - mean) / std::sqrt(var + eps);
      y[i * features + j] = (weight.empty() ? 1.0 : weight[j]) * xhat + (bias.empty() ? 0.0 : bias[j]);
    }
  }
  return y;
}

}  // namespace

TEST_CASE("batch_norm forward matches the double reference at feature counts around the SIMD width") {
  const std::int64_t batch = 5;
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t features : test::kSimdSizes) {
      for (bool affine : {false, true}) {
        for (bool training : {true, false}) {
          Tensor x = test::random_tensor({batch, features}, dtype, 3, 2.0, 0.5);
          Tensor weight = affine ? test::random_tensor({features}, dtype, 4, 1.0, 1.0) : Tensor();
          Tensor bias = affine ? test::random_tensor({features}, dtype, 5) : Tensor();
          Tensor running_mean = test::random_tensor({features}, dtype, 6);
          Tensor running_var = full({features}, 1.7, dtype);
          std::vector<double> expected = batch_norm_reference(
              x.to_vector(), batch, features, running_mean.to_vector(), running_var.to_vector(),
              test::values_or_empty(weight), test::values_or_empty(bias), training, 1e-5);
          Tensor y = batch_norm(x, running_mean, running_var, weight, bias, training, 0.1, 1e-5);
          INFO(dtype_name(dtype) << " features=" << features << " affine=" << affine << " training=" << training);
          REQUIRE(test::max_rel_diff(y, expected) <= (dtype == DType::float32 ? 2e-6 : 1e-14));
        }
      }
    }
  }
}

TEST_CASE("batch_norm running stats after two training steps match hand-computed values") {
  for (DType dtype : {DType::float32, DType::float64}) {
    Tensor running_mean = zeros({2}, dtype), running_var = ones({2}, dtype);
    // Step 1: feature 0 is {1, 3, 5} (mean 3, unbiased var 4); feature 1 is {2, 6, 7} (mean 5, unbiased var 7).
    Tensor x1 = tensor({1, 2, 3, 6, 5, 7}, {3, 2}, dtype);
    Tensor y1 = batch_norm(x1, running_mean, running_var, Tensor(), Tensor(), true, 0.1, 1e-5);
    CHECK(running_mean.at({0}) == Approx(0.3).epsilon(1e-6));
    CHECK(running_mean.at({1}) == Approx(0.5).epsilon(1e-6));
    CHECK(running_var.at({0}) == Approx(0.9 * 1 + 0.1 * 4).epsilon(1e-6));
    CHECK(running_var.at({1}) == Approx(0.9 * 1 + 0.1 * 7).epsilon(1e-6));
    // The output uses the *biased* variance: feature 0 has 8/3.
    CHECK(y1.at({0, 0}) == Approx(-2 / std::sqrt(8.0 / 3 + 1e-5)).epsilon(1e-6));
    // Step 2: feature 0 is {0, 2, 4} (mean 2, unbiased var 4); feature 1 is {1, 1, 4} (mean 2, unbiased var 3).
    Tensor x2 = tensor({0, 1, 2, 1, 4, 4}, {3, 2}, dtype);
    batch_norm(x2, running_mean, running_var, Tensor(), Tensor(), true, 0.1, 1e-5);
    INFO(dtype_name(dtype));
    CHECK(running_mean.at({0}) == Approx(0.9 * 0.3 + 0.1 * 2).epsilon(1e-6));  // 0.47
    CHECK(running_mean.at({1}) == Approx(0.9 * 0.5 + 0.1 * 2).epsilon(1e-6));  // 0.65
    CHECK(running_var.at({0}) == Approx(0.9 * 1.3 + 0.1 * 4).epsilon(1e-6));   // 1.57
    CHECK(running_var.at({1}) == Approx(0.9 * 1.6 + 0.1 * 3).epsilon(1e-6));   // 1.74
  }
}

TEST_CASE("batch_norm momentum follows PyTorch: momentum 1 replaces, momentum 0 keeps") {
  Tensor x = tensor({1, 2, 3, 6, 5, 7}, {3, 2}, DType::float64);
  Tensor rm = full({2}, 9.0, DType::float64), rv = full({2}, 9.0, DType::float64);
  batch_norm(x, rm, rv, Tensor(), Tensor(), true, 1.0);
  CHECK(rm.to_vector() == std::vector<double>{3, 5});
  CHECK(rv.to_vector() == std::vector<double>{4, 7});
  Tensor x2 = tensor({0, 1, 2, 1, 4, 4}, {3, 2}, DType::float64);
  batch_norm(x2, rm, rv, Tensor(), Tensor(), true, 0.0);
  CHECK(rm.to_vector() == std::vector<double>{3, 5});
  CHECK(rv.to_vector() == std::vector<double>{4, 7});
}

TEST_CASE("batch_norm in eval mode uses the running stats and leaves them alone") {
  Tensor x = tensor({1, 2, 3, 6}, {2, 2}, DType::float64);
  Tensor rm = tensor({0.5, -1}, DType::float64), rv = tensor({4, 0.25}, DType::float64);
  Tensor w = tensor({2, 3}, DType::float64), b = tensor({0.1, 0.2}, DType::float64);
  Tensor y = batch_norm(x, rm, rv, w, b, false, 0.1, 0.0);
  CHECK(y.at({0, 0}) == Approx(2 * (1 - 0.5) / 2 + 0.1).epsilon(1e-15));
  CHECK(y.at({1, 1}) == Approx(3 * (6 + 1) / 0.5 + 0.2).epsilon(1e-15));
  CHECK(rm.to_vector() == std::vector<double>{0.5, -1});
  CHECK(rv.to_vector() == std::vector<double>{4, 0.25});
  // A batch of one is fine in eval mode (no variance is estimated).
  Tensor one_row = batch_norm(x.rows(0, 1), rm, rv, Tensor(), Tensor(), false, 0.1, 0.0);
  CHECK(one_row.at({0, 1}) == Approx((2 + 1) / 0.5).epsilon(1e-15));
}

TEST_CASE("batch_norm records one op and keeps its running stats off the tape") {
  tape().clear();
  Tensor x = test::random_tensor({4, 3});
  x.requires_grad(true);
  Tensor rm = zeros({3}, DType::float64), rv = ones({3}, DType::float64);
  Tensor y = batch_norm(x, rm, rv, Tensor(), Tensor(), true);
  REQUIRE(tape().size() == 1);
  CHECK(tape().records()[0].inputs.size() == 1);
  CHECK(tape().records()[0].saved.size() == 2);  // mean and inv_std, [features] each
  CHECK(tape().saved_bytes() == 2 * 3 * sizeof(double));
  backward(y, ones({4, 3}, DType::float64));
  CHECK_FALSE(rm.requires_grad());
  CHECK_FALSE(rm.grad().defined());
  CHECK_FALSE(rv.grad().defined());
}

TEST_CASE("batch_norm training gradient matches finite differences, with and without affine") {
  for (std::int64_t features : {1, 5, 9}) {
    Tensor x = test::random_tensor({4, features}, DType::float64, 21, 2.0, 0.3);
    Tensor w = test::random_tensor({features}, DType::float64, 22, 1.0, 1.0);
    Tensor b = test::random_tensor({features}, DType::float64, 23);
    x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
    INFO("features=" << features);
    test::require_gradcheck([](const std::vector<Tensor>& in) {
      return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true);
    }, {x, w, b});
    test::require_gradcheck([](const std::vector<Tensor>& in) {
      return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true);
    }, {x});
    // Only one of γ, β, and running stats that are updated on every evaluation.
    Tensor rm = zeros({features}, DType::float64), rv = ones({features}, DType::float64);
    test::require_gradcheck([rm, rv](const std::vector<Tensor>& in) {
      return batch_norm(in[0], rm, rv, in[1], Tensor(), true, 0.3);
    }, {x, w});
    test::require_gradcheck([](const std::vector<Tensor>& in) {
      return batch_norm(in[0], Tensor(), Tensor(), Tensor(), in[1], true);
    }, {x, b});
  }
}

TEST_CASE("batch_norm eval gradient matches finite differences, with and without affine") {
  for (std::int64_t features : {1, 5, 9}) {
    Tensor x = test::random_tensor({3, features}, DType::float64, 31, 2.0);
    Tensor w = test::random_tensor({features}, DType::float64, 32, 1.0, 1.0);
    Tensor b = test::random_tensor({features}, DType::float64, 33);
    Tensor rm = test::random_tensor({features}, DType::float64, 34), rv = full({features}, 0.8, DType::float64);
    x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
    INFO("features=" << features);
    test::require_gradcheck([rm, rv](const std::vector<Tensor>& in) {
      return batch_norm(in[0], rm, rv, in[1], in[2], false);
    }, {x, w, b});
    test::require_gradcheck([rm, rv](const std::vector<Tensor>& in) {
      return batch_norm(in[0], rm, rv, Tensor(), Tensor(), false);
    }, {x});
  }
}

TEST_CASE("batch_norm gradients accumulate when x, weight and bias fan out") {
  Tensor x = test::random_tensor({4, 5}, DType::float64, 61);
  Tensor w = test::random_tensor({5}, DType::float64, 62), b = test::random_tensor({5}, DType::float64, 63);
  Tensor gy = test::random_tensor({4, 5}, DType::float64, 64);
  x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  test::require_gradients_accumulate([](const std::vector<Tensor>& in) {
    return batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true);
  }, {x, w, b}, gy);
}

TEST_CASE("batch_norm float32 backward agrees with float64") {
  for (std::int64_t features : test::kSimdSizes) {
    for (bool training : {true, false}) {
      Tensor x64 = test::random_tensor({6, features}, DType::float64, 41, 1.5, 0.2);
      Tensor w64 = test::random_tensor({features}, DType::float64, 42, 1.0, 1.0);
      Tensor b64 = test::random_tensor({features}, DType::float64, 43);
      Tensor gy64 = test::random_tensor({6, features}, DType::float64, 44);
      const Tensor rm64 = test::random_tensor({features}, DType::float64, 45);
      const Tensor rv64 = full({features}, 1.3, DType::float64);
      x64.requires_grad(true), w64.requires_grad(true), b64.requires_grad(true);
      INFO("features=" << features << " training=" << training);
      // Each call gets its own copies of the running stats, in its inputs' dtype.
      test::require_float32_backward_matches_float64([&](const std::vector<Tensor>& in) {
        const DType dtype = in[0].dtype();
        return batch_norm(in[0], rm64.to(dtype), rv64.to(dtype), in[1], in[2], training);
      }, {x64, w64, b64}, gy64);
    }
  }
}

TEST_CASE("batch_norm forward and backward are bit-identical with 1 and 2 threads") {
  Tensor x = test::random_tensor({64, 1003}, DType::float32, 51);
  Tensor w = test::random_tensor({1003}, DType::float32, 52), b = test::random_tensor({1003}, DType::float32, 53);
  Tensor gy = test::random_tensor({64, 1003}, DType::float32, 54);
  x.requires_grad(true), w.requires_grad(true), b.requires_grad(true);
  test::require_same_bits_across_threads([&] {
    x.zero_grad(), w.zero_grad(), b.zero_grad();
    Tensor rm = zeros({1003}), rv = ones({1003});
    Tensor y = batch_norm(x, rm, rv, w, b, true);
    backward(y, gy);
    return std::vector<Tensor>{y, x.grad(), w.grad(), b.grad(), rv};
  });
}

TEST_CASE("batch_norm rejects bad shapes and arguments, naming the op and the shapes") {
  Tensor x = test::random_tensor({4, 3});
  Tensor v3 = ones({3}, DType::float64), v5 = ones({5}, DType::float64);
  REQUIRE_THROWS_WITH(batch_norm(x, v5, v3, Tensor(), Tensor(), true),
                      "batch_norm: x is [4, 3], running_mean is [5]: expected [3]");
  REQUIRE_THROWS_WITH(batch_norm(x, v3, v5, Tensor(), Tensor(), true),
                      "batch_norm: x is [4, 3], running_var is [5]: expected [3]");
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), ones({3, 1}, DType::float64), Tensor(), true),
                      Catch::Contains("batch_norm: x is [4, 3], weight is [3, 1]"));
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), Tensor(), v5, true),
                      Catch::Contains("batch_norm: x is [4, 3], bias is [5]"));
  REQUIRE_THROWS_WITH(batch_norm(test::random_tensor({12}), v3, v3, Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm") && Catch::Contains("[12]"));
  REQUIRE_THROWS_WITH(batch_norm(x.rows(0, 1), v3, v3, Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm") && Catch::Contains("[1, 3]"));
  REQUIRE_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false),
                      Catch::Contains("batch_norm") && Catch::Contains("eval"));
  REQUIRE_THROWS_WITH(batch_norm(x, v3, Tensor(), Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm") && Catch::Contains("running_var is undefined"));
  REQUIRE_THROWS_WITH(batch_norm(x, ones({3}), ones({3}), Tensor(), Tensor(), true),
                      Catch::Contains("batch_norm") && Catch::Contains("[3] float32"));
}
