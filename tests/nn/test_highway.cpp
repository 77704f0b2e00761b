#include <cmath>

#include "nn/highway.h"
#include "nn/init.h"
#include "reference.h"
#include "support.h"

using namespace tg;

namespace {
// y = H·T + C·(1 − T) in double, from the layer's own parameters.
std::vector<double> highway_reference(nn::Highway& layer, const std::vector<double>& x) {
  const std::vector<double> h = test::relu_reference(test::linear_reference(x, layer.transform->weight,
                                                                            layer.transform->bias));
  std::vector<double> t = test::linear_reference(x, layer.gate->weight, layer.gate->bias);
  const std::vector<double> c = layer.carry ? test::linear_reference(x, layer.carry->weight, Tensor()) : x;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double gate = 1 / (1 + std::exp(-t[i]));
    t[i] = h[i] * gate + c[i] * (1 - gate);
  }
  return t;
}
}  // namespace

TEST_CASE("Highway forward matches the double reference, with and without a projected carry") {
  for (std::int64_t width : test::kSimdSizes) {
    if (width == 0) continue;
    for (std::int64_t out : {width, width + 3}) {
      Generator gen(7);
      nn::Highway layer(width, out, gen);
      CHECK((layer.carry != nullptr) == (out != width));
      nn::init::uniform(layer.transform->bias, gen, -0.5, 0.5);  // so every parameter matters
      Tensor x = test::random_tensor({6, width}, DType::float32, 8);
      INFO("width=" << width << " out=" << out);
      REQUIRE(test::max_rel_diff(layer(x), highway_reference(layer, x.to_vector())) <= 1e-5);
    }
  }
}

TEST_CASE("Highway gates start at sigmoid(gate_bias): mostly carrying the input") {
  Generator gen(9);
  nn::Highway layer(16, 16, gen);
  CHECK(layer.gate->bias.to_vector() == std::vector<double>(16, nn::kHighwayGateBias));
  CHECK(layer.parameter_count() == 2 * (16 * 16 + 16));
  nn::Highway wider(16, 8, gen, -1.0);
  CHECK(wider.parameter_count() == 2 * (16 * 8 + 8) + 16 * 8);
  CHECK(wider.gate->bias.to_vector() == std::vector<double>(8, -1.0));
}

TEST_CASE("Highway gradient matches finite differences in float64") {
  for (std::int64_t out : {5, 3}) {
    Generator gen(10);
    nn::Highway layer(5, out, gen);
    layer.to(DType::float64);
    std::vector<Tensor> inputs = layer.parameters();
    inputs.push_back(test::random_tensor({4, 5}, DType::float64, 11).requires_grad(true));
    INFO("out=" << out);
    test::require_gradcheck([&](const std::vector<Tensor>& in) { return layer(in.back()); }, inputs);
  }
}

TEST_CASE("Highway rejects bad sizes and inputs, naming the shapes") {
  Generator gen(12);
  CHECK_THROWS_WITH(nn::Highway(4, 0, gen), Catch::StartsWith("Highway: in_features 4 and out_features 0"));
  nn::Highway layer(4, 4, gen);
  CHECK_THROWS_WITH(layer(test::random_tensor({2, 3}, DType::float32)),
                    Catch::StartsWith("Highway: x is [2, 3]: expected [batch, 4]"));
  CHECK_THROWS_WITH(layer(test::random_tensor({4}, DType::float32)), Catch::StartsWith("Highway: x is [4]"));
}
