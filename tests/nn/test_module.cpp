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

TEST_CASE("layers reject bad arguments naming the layer, the argument and why") {
  Generator gen(1);
  REQUIRE_THROWS_WITH(nn::Linear(0, 3, gen), Catch::Contains("Linear: in_features must be positive, got 0"));
  REQUIRE_THROWS_WITH(nn::Linear(3, -1, gen), Catch::Contains("Linear: out_features must be positive, got -1"));
  REQUIRE_THROWS_WITH(nn::Linear(3, 2, gen, DType::int64), Catch::Contains("Linear: dtype must be float32 or float64"));
  REQUIRE_THROWS_WITH(nn::AlphaDropout(1.0, 1), Catch::Contains("AlphaDropout: rate must be in [0, 1), got 1"));
  REQUIRE_THROWS_WITH(nn::Dropout(-0.5, 1), Catch::Contains("Dropout: p must be in [0, 1), got -0.5"));
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(0), Catch::Contains("BatchNorm1d: features must be positive, got 0"));
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(4, -1.0), Catch::Contains("BatchNorm1d: eps must be positive") &&
                                                    Catch::Contains("got -1"));
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(4, 1e-5, 1.5), Catch::Contains("BatchNorm1d: momentum must be in [0, 1]") &&
                                                         Catch::Contains("got 1.5"));
  REQUIRE_THROWS_WITH(nn::LayerNorm(-2), Catch::Contains("LayerNorm: features must be positive, got -2"));
  REQUIRE_THROWS_WITH(nn::LayerNorm(3, 0.0), Catch::Contains("LayerNorm: eps must be positive"));
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
  // No backward_hook record once the hook is gone, and Linear→SELU runs fused again: linear+selu,
  // linear, sum (Note [Fused Linear→activation in Sequential]).
  CHECK(tape().size() == 3);
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

TEST_CASE("Sequential takes layers by value, names them 0, 1, ... and equals the shared_ptr form") {
  Generator gen(4), gen2(4);
  // Braces: their arguments are evaluated left to right, so the layers draw from gen in order.
  nn::Sequential by_value{nn::Linear(3, 6, gen), nn::SELU(), nn::AlphaDropout(0.2, 9), nn::Linear(6, 2, gen)};
  auto shared = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 6, gen2), std::make_shared<nn::SELU>(),
      std::make_shared<nn::AlphaDropout>(0.2, 9), std::make_shared<nn::Linear>(6, 2, gen2)});
  const auto a = by_value.state_dict(), b = shared->state_dict();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first == b[i].first);
    CHECK(a[i].second.to_vector() == b[i].second.to_vector());
  }
  CHECK(a[2].first == "3.weight");
  REQUIRE(by_value.named_generators().size() == 1);
  CHECK(by_value.named_generators()[0].first == "2.generator");
  // The moved-in AlphaDropout still draws from its own generator: the same masks in training mode.
  NoGrad no_grad;
  const Tensor x = test::random_tensor({5, 3}, DType::float32);
  CHECK(by_value(x).to_vector() == (*shared)(x).to_vector());
  CHECK(by_value.named_generators()[0].second->offset() > 0);
  CHECK(by_value.named_generators()[0].second->offset() == shared->named_generators()[0].second->offset());

  // add and push_back take values and shared_ptrs alike; a shared_ptr keeps a handle on the layer.
  auto head = std::make_shared<nn::Linear>(2, 2, gen);
  by_value.add(nn::Tanh()).push_back(head);
  by_value.push_back(nn::Sigmoid());
  CHECK(by_value.size() == 7);
  CHECK(by_value[5].as<nn::Linear>() == head.get());
  CHECK(by_value[6].type() == "Sigmoid");
  CHECK(by_value[0].as<nn::ReLU>() == nullptr);
}

TEST_CASE("a module moved elsewhere keeps its parameters, buffers and generator") {
  nn::BatchNorm1d norm(3);
  const Tensor mean = norm.running_mean;
  nn::BatchNorm1d moved(std::move(norm));
  CHECK(moved.running_mean.same(mean));
  CHECK(moved.named_buffers().size() == 3);
  CHECK(moved.named_parameters().size() == 2);
  nn::Dropout dropout(0.5, 3);
  Generator* gen = dropout.named_generators()[0].second;
  nn::Dropout moved_dropout(std::move(dropout));
  CHECK(moved_dropout.named_generators()[0].second == gen);  // on the heap: the same generator
  NoGrad no_grad;
  moved_dropout(zeros({4, 4}));
  CHECK(gen->offset() > 0);
}

TEST_CASE("state_dict lists parameters and buffers in PyTorch's order, and BatchNorm1d counts its batches") {
  Generator gen(5);
  nn::Sequential net{nn::Linear(2, 3, gen), nn::BatchNorm1d(3), nn::SELU(), nn::Linear(3, 1, gen, false)};
  std::vector<std::string> names;
  for (const auto& [name, t] : net.state_dict()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                          "1.running_var", "1.num_batches_tracked", "3.weight"});
  const Tensor count = net[1].as<nn::BatchNorm1d>()->num_batches_tracked;
  CHECK(count.dim() == 0);
  const Tensor x = test::random_tensor({4, 2}, DType::float32);
  net(x);
  {
    NoGrad no_grad;  // PyTorch counts training-mode calls with or without autograd
    net(x);
  }
  CHECK(*count.data<std::int64_t>() == 2);
  net.eval();
  net(x);
  CHECK(*count.data<std::int64_t>() == 2);
  tape().clear();
  net.to(DType::float64);  // the count stays int64
  CHECK(count.dtype() == DType::int64);
}

TEST_CASE("apply visits every submodule, children first, and re-initialises layers") {
  Generator gen(6);
  nn::Sequential inner{nn::Linear(2, 2, gen), nn::ReLU()};
  nn::Sequential net{std::move(inner), nn::Linear(2, 3, gen)};
  std::vector<std::string> order;
  net.apply([&](nn::Module& m) { order.push_back(m.type()); });
  CHECK(order == std::vector<std::string>{"Linear", "ReLU", "Sequential", "Linear", "Sequential"});
  Generator init(1);
  int linears = 0;
  net.apply([&](nn::Module& m) {
    if (auto* linear = m.as<nn::Linear>()) {
      nn::init::constant(linear->weight, 0.5);
      ++linears;
    }
  });
  CHECK(linears == 2);
  for (const auto& [name, t] : net.named_parameters())
    if (name.ends_with("weight"))
      for (double v : t.to_vector()) CHECK(v == 0.5);
  CHECK(net.named_parameters()[0].first == "0.0.weight");
}

TEST_CASE("a float64 Linear built by value passes gradcheck") {
  Generator gen(7);
  nn::Sequential net{nn::Linear(3, 4, gen, DType::float64), nn::SELU(), nn::Linear(4, 2, gen, true, DType::float64)};
  for (const Tensor& p : net.parameters()) CHECK(p.dtype() == DType::float64);
  std::vector<Tensor> inputs = net.parameters();
  inputs.push_back(test::random_tensor({5, 3}));
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return net(in.back()); }, inputs);
}

TEST_CASE("Sequential runs Linear→SELU and Linear→ReLU as one fused op, with the bits of the two modules") {
  Generator gen(21);
  nn::Sequential model{nn::Linear(40, 33, gen), nn::SELU(), nn::Linear(33, 17, gen), nn::ReLU(), nn::Linear(17, 3, gen)};
  const Tensor x = test::random_tensor({9, 40}, DType::float32, 22);
  auto run = [&](bool fused) {
    tape().clear();
    model.zero_grad();
    Tensor y;
    if (fused) {
      y = model(x);
    } else {
      y = x;
      for (std::size_t i = 0; i < model.size(); ++i) y = model[i](y);  // module by module
    }
    std::vector<std::string> ops;
    for (const Record& r : tape().records()) ops.push_back(r.op);
    backward(sum(y));
    std::vector<Tensor> out{y};
    for (const Tensor& p : model.parameters()) out.push_back(p.grad());
    return std::make_pair(out, ops);
  };
  const auto [fused, fused_ops] = run(true);
  const auto [separate, separate_ops] = run(false);
  CHECK(fused_ops == std::vector<std::string>{"linear+selu", "linear+relu", "linear"});
  CHECK(separate_ops == std::vector<std::string>{"linear", "selu", "linear", "relu", "linear"});
  CHECK(test::bit_difference(fused, separate) == "");
  // A hook on either module keeps the pair apart, so the hook sees the pre-activation.
  int calls = 0;
  model[0].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++calls; });
  const auto [hooked, hooked_ops] = run(true);
  CHECK(calls == 1);
  CHECK(hooked_ops == std::vector<std::string>{"linear", "selu", "linear+relu", "linear"});
  CHECK(test::bit_difference(hooked, separate) == "");
}
