#include "nn/residual.h"
#include "reference.h"
#include "support.h"

using namespace tg;

namespace {
// relu(S(x) + F(x)) in double, BatchNorm in training mode with its initial γ = 1, β = 0.
std::vector<double> residual_reference(nn::ResidualBlock& block, const std::vector<double>& x, bool batch_norm) {
  std::vector<double> f = x;
  const nn::Sequential& layers = *block.residual;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (auto* linear = dynamic_cast<nn::Linear*>(&layers[i])) {
      f = test::linear_reference(f, linear->weight, linear->bias);
      if (batch_norm) f = test::batch_norm_reference(f, linear->weight.size(0));
    } else if (layers[i].type() == "ReLU") {
      f = test::relu_reference(f);
    }
  }
  const std::vector<double> s = block.shortcut ? test::linear_reference(x, block.shortcut->weight, Tensor()) : x;
  for (std::size_t i = 0; i < f.size(); ++i) f[i] += s[i];
  return test::relu_reference(f);
}

std::vector<std::string> types(const nn::Sequential& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size(); ++i) out.push_back(s[i].type());
  return out;
}
}  // namespace

TEST_CASE("ResidualBlock forward matches the double reference: 2 and 3 layers, bottleneck, projection") {
  struct Case {
    std::int64_t in;
    std::vector<std::int64_t> widths;
  };
  for (bool batch_norm : {false, true}) {
    for (const Case& c : {Case{9, {9, 9}}, Case{8, {4, 8}}, Case{7, {7, 4, 7}}, Case{5, {6, 6}}, Case{17, {3, 2, 9}}}) {
      Generator gen(13);
      nn::ResidualBlock block(c.in, c.widths, gen, batch_norm);
      CHECK((block.shortcut != nullptr) == (c.widths.back() != c.in));
      Tensor x = test::random_tensor({6, c.in}, DType::float32, 14);
      INFO("in=" << c.in << " layers=" << c.widths.size() << " batch_norm=" << batch_norm);
      REQUIRE(test::max_rel_diff(block(x), residual_reference(block, x.to_vector(), batch_norm)) <= 1e-4);
    }
  }
}

TEST_CASE("ResidualBlock: its layers and parameter count follow the widths") {
  Generator gen(15);
  nn::ResidualBlock block(10, {5, 5, 8}, gen);
  CHECK(types(*block.residual) ==
        std::vector<std::string>{"Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear",
                                 "BatchNorm1d"});
  const std::int64_t f = (10 * 5 + 5 + 2 * 5) + (5 * 5 + 5 + 2 * 5) + (5 * 8 + 8 + 2 * 8);
  CHECK(block.parameter_count() == f + 10 * 8);  // + the shortcut's projection, no bias
  nn::ResidualBlock plain(4, {4, 4}, gen, /*batch_norm=*/false);
  CHECK(types(*plain.residual) == std::vector<std::string>{"Linear", "ReLU", "Linear"});
  CHECK(plain.shortcut == nullptr);
}

TEST_CASE("ResidualBlock gradient matches finite differences in float64") {
  for (bool batch_norm : {false, true}) {
    for (std::int64_t out : {4, 6}) {
      Generator gen(16);
      nn::ResidualBlock block(4, {3, out}, gen, batch_norm);
      block.to(DType::float64);
      std::vector<Tensor> inputs = block.parameters();
      inputs.push_back(test::random_tensor({5, 4}, DType::float64, 17).requires_grad(true));
      INFO("out=" << out << " batch_norm=" << batch_norm);
      test::require_gradcheck([&](const std::vector<Tensor>& in) { return block(in.back()); }, inputs);
    }
  }
}

TEST_CASE("ResidualBlock rejects bad sizes and inputs, naming the shapes") {
  Generator gen(18);
  CHECK_THROWS_WITH(nn::ResidualBlock(4, {}, gen), Catch::StartsWith("ResidualBlock: in_features 4 and widths []"));
  CHECK_THROWS_WITH(nn::ResidualBlock(4, {3, 0}, gen), Catch::Contains("widths [3, 0]"));
  nn::ResidualBlock block(4, {4, 4}, gen);
  CHECK_THROWS_WITH(block(test::random_tensor({2, 5}, DType::float32)),
                    Catch::StartsWith("ResidualBlock: x is [2, 5]: expected [batch, 4]"));
}
