#include <cmath>

#include "nn/weight_norm.h"
#include "nn/init.h"
#include "reference.h"
#include "support.h"

using namespace tg;

TEST_CASE("WeightNormLinear starts with w = v and computes x·(g·v/|v|)ᵀ + b") {
  for (std::int64_t in : test::kSimdSizes) {
    if (in == 0) continue;
    Generator gen(3);
    nn::WeightNormLinear layer(in, 5, gen);
    INFO("in=" << in);
    REQUIRE(test::max_rel_diff(layer.weight(), layer.weight_v.to_vector()) <= 1e-6);  // g = |v| initially

    // Change g and b, then compare with the double reference built from v, g and b.
    nn::init::uniform(layer.weight_g, gen, 0.5, 2.0);
    nn::init::uniform(layer.bias, gen, -1.0, 1.0);
    const std::vector<double> v = layer.weight_v.to_vector(), g = layer.weight_g.to_vector();
    std::vector<double> w(v.size());
    for (std::size_t o = 0; o < 5; ++o) {
      double squares = 0;
      for (std::int64_t k = 0; k < in; ++k) squares += v[o * in + k] * v[o * in + k];
      for (std::int64_t k = 0; k < in; ++k) w[o * in + k] = g[o] * v[o * in + k] / std::sqrt(squares);
    }
    Tensor x = test::random_tensor({4, in}, DType::float32, 5);
    REQUIRE(test::max_rel_diff(layer(x), test::linear_reference(x.to_vector(), w, layer.bias.to_vector(), in, 5)) <=
            1e-5);
  }
}

TEST_CASE("WeightNormLinear: reset_gain restores w = v after v is re-initialised") {
  Generator gen(4);
  nn::WeightNormLinear layer(7, 3, gen, /*bias=*/false);
  CHECK(!layer.bias.defined());
  CHECK(layer.parameter_count() == 7 * 3 + 3);
  nn::init::he_normal(layer.weight_v, gen);
  CHECK(test::max_rel_diff(layer.weight(), layer.weight_v.to_vector()) > 1e-3);  // g still the old lengths
  layer.reset_gain();
  CHECK(test::max_rel_diff(layer.weight(), layer.weight_v.to_vector()) <= 1e-6);
}

TEST_CASE("WeightNormLinear gradient matches finite differences in float64") {
  Generator gen(5);
  nn::WeightNormLinear layer(6, 4, gen);
  layer.to(DType::float64);
  std::vector<Tensor> inputs = layer.parameters();
  inputs.push_back(test::random_tensor({3, 6}, DType::float64, 6).requires_grad(true));
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return layer(in.back()); }, inputs);
}

TEST_CASE("WeightNormLinear rejects bad sizes and inputs") {
  Generator gen(6);
  CHECK_THROWS_WITH(nn::WeightNormLinear(0, 3, gen), Catch::StartsWith("WeightNormLinear: in_features 0"));
  nn::WeightNormLinear layer(4, 3, gen);
  CHECK_THROWS_WITH(layer(test::random_tensor({2, 5}, DType::float32)), Catch::Contains("[2, 5]"));
}
