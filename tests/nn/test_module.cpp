#include <sstream>

#include "autograd/tape.h"
#include "nn/nn.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {
std::shared_ptr<nn::Sequential> small_net(Generator& gen) {
  return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(4, 8, gen), std::make_shared<nn::SELU>(), std::make_shared<nn::BatchNorm1d>(8),
      std::make_shared<nn::AlphaDropout>(0.1, 3), std::make_shared<nn::Linear>(8, 3, gen, false)});
}
}  // namespace

TEST_CASE("modules name their parameters, buffers and generators by path") {
  Generator gen(1);
  auto net = small_net(gen);
  auto params = net->named_parameters();
  REQUIRE(params.size() == 5);
  CHECK(params[0].first == "0.weight");
  CHECK(params[1].first == "0.bias");
  CHECK(params[2].first == "2.weight");
  CHECK(params[4].first == "4.weight");
  CHECK(params[0].second.shape() == Shape{8, 4});
  CHECK(net->parameter_count() == 4 * 8 + 8 + 8 + 8 + 8 * 3);
  auto buffers = net->named_buffers();
  REQUIRE(buffers.size() == 3);
  CHECK(buffers[0].first == "2.running_mean");
  CHECK(buffers[2].first == "2.num_batches_tracked");
  CHECK(buffers[2].second.dtype() == DType::int64);
  CHECK(net->named_generators().at(0).first == "3.generator");
  CHECK(net->named_modules().size() == 6);
  CHECK(net->named_modules()[1].first == "0");  // a child's path, not "0."
}

TEST_CASE("train and eval propagate to children") {
  Generator gen(1);
  auto net = small_net(gen);
  net->eval();
  for (auto& [name, m] : net->named_modules()) CHECK(!m->is_training());
  net->train();
  CHECK((*net)[2].is_training());
}

TEST_CASE("summary lists layers with parameter counts") {
  Generator gen(1);
  auto net = small_net(gen);
  std::ostringstream out;
  out << *net;
  const std::string s = out.str();
  CHECK(s.find("Sequential") != std::string::npos);
  CHECK(s.find("(0) Linear(in_features=4, out_features=8)") != std::string::npos);
  CHECK(s.find("(4) Linear(in_features=8, out_features=3, bias=false)") != std::string::npos);
  CHECK(s.find("total parameters: 80") != std::string::npos);
}

TEST_CASE("forward hooks see every call's input and output until removed") {
  Generator gen(1);
  auto net = small_net(gen);
  int calls = 0;
  Shape seen;
  int handle = (*net)[0].register_forward_hook([&](nn::Module& m, const Tensor& in, const Tensor& out) {
    ++calls;
    seen = out.shape();
    CHECK(m.type() == "Linear");
  });
  NoGrad no_grad;
  (*net)(test::random_tensor({5, 4}, DType::float32));
  CHECK(calls == 1);
  CHECK(seen == Shape{5, 8});
  (*net)[0].remove_hook(handle);
  (*net)(test::random_tensor({5, 4}, DType::float32));
  CHECK(calls == 1);
}

TEST_CASE("a module converts to float64 in place and its gradients pass gradcheck") {
  Generator gen(2);
  nn::Sequential net{std::make_shared<nn::Linear>(3, 5, gen), std::make_shared<nn::SELU>(),
                     std::make_shared<nn::Linear>(5, 2, gen)};
  Tensor w0 = net.named_parameters()[0].second;
  net.to(DType::float64);
  CHECK(w0.dtype() == DType::float64);  // the layer's own handle sees the conversion
  Tensor x = test::random_tensor({4, 3});
  auto params = net.parameters();
  std::vector<Tensor> inputs = params;
  inputs.push_back(x);
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return net(in.back()); }, inputs);
}

TEST_CASE("zero_grad drops every parameter's gradient") {
  Generator gen(2);
  nn::Linear layer(3, 2, gen);
  Tensor y = sum(layer(test::random_tensor({4, 3}, DType::float32)));
  backward(y);
  CHECK(layer.weight.grad().defined());
  layer.zero_grad();
  CHECK(!layer.weight.grad().defined());
  CHECK(!layer.bias.grad().defined());
}

TEST_CASE("layers reject bad arguments naming the layer") {
  Generator gen(1);
  REQUIRE_THROWS_WITH(nn::Linear(0, 3, gen), Catch::Contains("Linear"));
  REQUIRE_THROWS_WITH(nn::AlphaDropout(1.0, 1), Catch::Contains("AlphaDropout"));
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(4, -1.0), Catch::Contains("BatchNorm1d"));
  nn::Linear layer(3, 2, gen);
  REQUIRE_THROWS_WITH(layer(zeros({4, 5})), Catch::Contains("linear") && Catch::Contains("[4, 5]"));
}

TEST_CASE("backward hooks get the gradient of the module's output and pass it through") {
  Generator gen(3);
  nn::Sequential net{std::make_shared<nn::Linear>(3, 5, gen), std::make_shared<nn::SELU>(),
                     std::make_shared<nn::Linear>(5, 2, gen)};
  net.to(DType::float64);
  Tensor x = test::random_tensor({4, 3});

  backward(sum(net(x)));  // the reference gradients, without a hook
  std::vector<std::vector<double>> reference;
  for (const Tensor& p : net.parameters()) reference.push_back(p.grad().to_vector());
  net.zero_grad();

  int calls = 0;
  Tensor seen;
  const int handle = net[1].register_backward_hook([&](nn::Module& m, const Tensor& grad_output) {
    ++calls;
    seen = grad_output.clone();
    CHECK(m.type() == "SELU");
  });
  const std::size_t records_before = tape().size();
  Tensor loss = sum(net(x));
  CHECK(tape().size() == records_before + 5);  // linear, selu, backward_hook, linear, sum
  CHECK(calls == 0);
  backward(loss);
  REQUIRE(calls == 1);
  // loss = Σ h·W2ᵀ + b2 over rows, so ∂loss/∂h[n, i] = Σ_o W2[o, i] for every row n.
  const Tensor w2 = net.named_parameters()[2].second;
  REQUIRE(seen.shape() == Shape{4, 5});
  for (std::int64_t n = 0; n < 4; ++n)
    for (std::int64_t i = 0; i < 5; ++i) CHECK(seen.at({n, i}) == Approx(w2.at({0, i}) + w2.at({1, i})));
  const std::vector<Tensor> params = net.parameters();
  for (std::size_t k = 0; k < params.size(); ++k) CHECK(params[k].grad().to_vector() == reference[k]);

  {
    NoGrad no_grad;  // nothing is recorded, so nothing can call the hook
    net(x);
    CHECK(tape().size() == 0);
  }
  net[1].remove_hook(handle);
  net.zero_grad();
  loss = sum(net(x));
  CHECK(tape().size() == 4);  // no backward_hook record once the hook is gone
  backward(loss);
  CHECK(calls == 1);
}

TEST_CASE("a backward hook sees the complete gradient of an output used twice") {
  nn::SELU selu;
  Tensor x = test::random_tensor({3, 4}).requires_grad(true);
  Tensor seen;
  int calls = 0;
  selu.register_backward_hook([&](nn::Module&, const Tensor& grad_output) {
    ++calls;
    seen = grad_output.clone();
  });
  Tensor h = selu(x);
  backward(sum(add(h, mul(h, h))));  // ∂/∂h of Σ (h + h²) = 1 + 2h, from two uses of h
  REQUIRE(calls == 1);
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 4; ++j) CHECK(seen.at({i, j}) == Approx(1 + 2 * h.at({i, j})));
}

TEST_CASE("a hook may not add or remove hooks of its own module") {
  nn::SELU selu;
  Tensor x = test::random_tensor({2, 3}).requires_grad(true);
  int handle = -1;
  handle = selu.register_forward_hook([&](nn::Module& m, const Tensor&, const Tensor&) { m.remove_hook(handle); });
  CHECK_THROWS_WITH(selu(x), Catch::Contains("remove_hook") && Catch::Contains("own hooks"));
  tape().clear();
  selu.remove_hook(handle);  // outside a hook it works, and the list is usable again
  selu.register_backward_hook([](nn::Module& m, const Tensor&) { m.register_forward_hook({}); });
  Tensor y = selu(x);
  CHECK_THROWS_WITH(backward(sum(y)), Catch::Contains("register_forward_hook"));
  tape().clear();
}
