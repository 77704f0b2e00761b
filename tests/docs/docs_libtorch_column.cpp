// The libtorch blocks of docs/for-pytorch-users.md, as a program of libtorch 1.13 (Debian bookworm's
// libtorch-dev). Each block between "// [doc]" and "// [/doc]" appears verbatim in the doc
// (CTest doc_for_pytorch_users checks that in every build). libtorch is a benchmark-only
// dependency, so this file is compiled and run only when configured with -DTG_DOC_LIBTORCH=ON and
// libtorch is found (CTest doc_libtorch_column); the state_dict part also needs python3-torch
// (scripts/setup.sh --with-bench installs both). It checks what it shows with TORCH_CHECK.
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

// Three Gaussian blobs in 4 dimensions, as in test_for_pytorch_users_doc.cpp.
std::pair<torch::Tensor, torch::Tensor> blobs(std::int64_t n) {
  torch::Tensor x = torch::randn({n, 4});
  torch::Tensor y = torch::arange(n, torch::kLong) % 3;
  x.scatter_add_(1, y.unsqueeze(1), torch::full({n, 1}, 3.0));
  return {x, y};
}

torch::nn::Sequential small_model() {
  return torch::nn::Sequential(torch::nn::Linear(4, 64), torch::nn::SELU(), torch::nn::Linear(64, 3));
}

// [doc]
struct Pairs : torch::data::datasets::Dataset<Pairs> {  // libtorch's TensorDataset holds one tensor
  Pairs(torch::Tensor x, torch::Tensor y) : x_(std::move(x)), y_(std::move(y)) {}
  torch::data::Example<> get(size_t i) override { return {x_[i], y_[i]}; }
  torch::optional<size_t> size() const override { return x_.size(0); }
  torch::Tensor x_, y_;
};
// [/doc]

// [doc]
struct Softsign : torch::autograd::Function<Softsign> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x) {
    ctx->save_for_backward({x});
    return x / (1 + x.abs());
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    torch::Tensor x = ctx->get_saved_variables()[0];
    torch::Tensor d = 1 + x.abs();
    return {grad_outputs[0] / (d * d)};
  }
};
// [/doc]

// [doc]
struct NetImpl : torch::nn::Module {
  NetImpl(int64_t in, int64_t hidden, int64_t out)
      : fc1(register_module("fc1", torch::nn::Linear(in, hidden))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, out))),
        scale(register_parameter("scale", torch::ones({hidden}))) {}
  torch::Tensor forward(torch::Tensor x) { return fc2(torch::selu(fc1(x)) * scale); }

  torch::nn::Linear fc1, fc2;
  torch::Tensor scale;
};
TORCH_MODULE(Net);  // Net: a shared handle to a NetImpl
// [/doc]

void tensors_and_autograd() {
  torch::Tensor x = torch::randn({5, 3}, torch::kFloat64);
  // [doc]
  torch::Tensor w = torch::randn({3, 2}, torch::dtype(torch::kFloat64).requires_grad(true));
  torch::Tensor loss = x.matmul(w).square().sum();
  loss.backward();
  torch::Tensor g = w.grad();
  double value = loss.item<double>();
  torch::Tensor frozen = w.detach();
  // [/doc]
  TORCH_CHECK(torch::allclose(g, 2 * x.t().matmul(x.matmul(w.detach()))));
  TORCH_CHECK(value > 0 && !frozen.requires_grad());
}

void build_a_model() {
  // [doc]
  torch::manual_seed(0);  // the global generator every layer draws its initial weights from
  torch::nn::Sequential model(torch::nn::Linear(4, 64), torch::nn::SELU(), torch::nn::Linear(64, 3));
  model->push_back(torch::nn::Linear(3, 3));
  model->apply([](torch::nn::Module& m) {
    if (auto* linear = m.as<torch::nn::Linear>())
      torch::nn::init::kaiming_normal_(linear->weight, 0, torch::kFanIn, torch::kLinear);  // tapegrad's default
  });
  std::cout << *model << "\n";
  // [/doc]
  TORCH_CHECK(model->size() == 4);
  TORCH_CHECK(model->named_parameters().keys()[0] == "0.weight");
}

void data_loading() {
  auto [features, targets] = blobs(100);
  std::int64_t batches = 0, rows = 0;
  // [doc]
  auto loader = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
      Pairs(features, targets).map(torch::data::transforms::Stack<>()),
      torch::data::DataLoaderOptions().batch_size(32));
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (torch::data::Example<>& batch : *loader) {  // one epoch; RandomSampler uses the global generator
      // batch.data: [32, D] (the last batch may be shorter), batch.target: [32]
      ++batches;
      rows += batch.data.size(0);
    }
  }
  // [/doc]
  TORCH_CHECK(batches == 12 && rows == 300, batches, " batches, ", rows, " rows");
}

void training_loop_and_evaluation() {
  auto [features, targets] = blobs(300);
  auto [x_test, y_test] = blobs(90);
  auto loader = torch::data::make_data_loader<torch::data::samplers::RandomSampler>(
      Pairs(features, targets).map(torch::data::transforms::Stack<>()), torch::data::DataLoaderOptions().batch_size(32));
  torch::nn::Sequential model = small_model();
  // [doc]
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  for (int epoch = 0; epoch < 20; ++epoch) {
    for (torch::data::Example<>& batch : *loader) {
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(batch.data), batch.target);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
  }
  // [/doc]
  const torch::Tensor x = x_test;
  {
    // [doc]
    torch::NoGradGuard no_grad;  // or torch::InferenceMode guard;
    model->eval();
    torch::Tensor logits = model->forward(x);
    model->train();
    // [/doc]
    TORCH_CHECK(!logits.requires_grad());
  }
  // [doc]
  torch::NoGradGuard no_grad;
  model->eval();
  torch::Tensor logits = model->forward(x_test);
  double loss = torch::nn::functional::cross_entropy(logits, y_test).item<double>();
  double accuracy = logits.argmax(1).eq(y_test).to(torch::kFloat64).mean().item<double>();
  model->train();
  // [/doc]
  std::printf("loss %.4f, accuracy %.4f\n", loss, accuracy);
  TORCH_CHECK(accuracy > 0.9, "accuracy ", accuracy);
}

void optimizers() {
  auto [x, y] = blobs(64);
  torch::nn::Sequential model = small_model();
  // [doc]
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(model[0]->parameters(), std::make_unique<torch::optim::AdamWOptions>(1e-3));
  auto head = std::make_unique<torch::optim::AdamWOptions>(1e-2);
  head->weight_decay(0);
  groups.emplace_back(model[2]->parameters(), std::move(head));
  torch::optim::AdamW optimizer(groups);
  torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x), y);
  optimizer.zero_grad();
  loss.backward();
  double norm = torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
  torch::nn::utils::clip_grad_value_(model->parameters(), 0.5);
  optimizer.step();
  static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[1].options()).lr(5e-3);
  static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()).weight_decay(0.05);
  // [/doc]
  TORCH_CHECK(norm > 0);
  TORCH_CHECK(static_cast<torch::optim::AdamWOptions&>(optimizer.param_groups()[1].options()).lr() == 5e-3);
  // [doc]
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9).nesterov(true));
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}));
  torch::optim::RMSprop rmsprop(model->parameters(), torch::optim::RMSpropOptions(1e-2).alpha(0.99));
  // [/doc]
}

void schedules() {
  torch::nn::Sequential model = small_model();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1));
  // [doc]
  torch::optim::StepLR step_lr(optimizer, /*step_size=*/30, /*gamma=*/0.1);  // 1.13's only schedule
  for (int epoch = 0; epoch < 50; ++epoch) {
    // ... one epoch of updates ...
    step_lr.step();
  }
  // [/doc]
  const auto lr = [&] { return static_cast<torch::optim::SGDOptions&>(optimizer.param_groups()[0].options()).lr(); };
  TORCH_CHECK(std::abs(lr() - 0.01) < 1e-15, lr());
  // [doc]
  auto set_lr = [&](double lr) {
    for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups())
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  };
  for (int epoch = 0; epoch < 50; ++epoch) {  // 5 warm-up epochs from 0.1 × 0.1, then cosine to 0
    set_lr(epoch < 5 ? 0.1 * (0.1 + 0.9 * epoch / 5) : 0.1 * (1 + std::cos(M_PI * (epoch - 5) / 45)) / 2);
    // ... one epoch of updates ...
  }
  // [/doc]
  TORCH_CHECK(lr() < 0.001, lr());
}

void save_and_load() {
  torch::nn::Sequential model = small_model();
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  // [doc]
  torch::save(model, "model.pt");          // parameters and buffers: the weights-only file too
  torch::save(optimizer, "optimizer.pt");  // the optimizer's state and options
  // ... later, with the same model and optimizer built again:
  torch::load(model, "model.pt");
  torch::load(optimizer, "optimizer.pt");
  // [/doc]

  // A state_dict saved by PyTorch (python3-torch), as the doc's Python line does: a plain dict, since
  // libtorch 1.13's pickle_load fails on the OrderedDict that state_dict() returns ("Expected
  // GenericDict but got None", from its _metadata attribute).
  const int rc = std::system(
      "/usr/bin/python3 -c 'import torch; torch.manual_seed(1); "
      "model = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.SELU(), torch.nn.Linear(64, 3)); "
      "torch.save(dict(model.state_dict()), \"weights.pt\"); "
      "print(float(model[2].bias[0]))' > python.out");
  TORCH_CHECK(rc == 0, "/usr/bin/python3 with torch is needed to write weights.pt");
  double expected = 0;
  std::ifstream("python.out") >> expected;
  {
    // [doc]
    std::ifstream file("weights.pt", std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    c10::Dict<c10::IValue, c10::IValue> weights = torch::pickle_load(bytes).toGenericDict();
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) p.value().copy_(weights.at(p.key()).toTensor());
    for (auto& b : model->named_buffers()) b.value().copy_(weights.at(b.key()).toTensor());
    // [/doc]
  }
  const double loaded = model[2]->as<torch::nn::Linear>()->bias[0].item<double>();
  TORCH_CHECK(std::abs(loaded - expected) < 1e-6, loaded, " vs ", expected);
}

void custom_module_and_op() {
  auto [x_all, y_all] = blobs(32);
  const torch::Tensor x_in = x_all, y = y_all;
  {
    const torch::Tensor x = x_in;
    // [doc]
    torch::manual_seed(0);
    Net net(4, 16, 3);
    torch::Tensor loss = torch::nn::functional::cross_entropy(net(x), y);
    // [/doc]
    TORCH_CHECK(net->named_parameters().keys()[0] == "scale");
    loss.backward();
    TORCH_CHECK(net->scale.grad().defined());
  }
  // [doc]
  torch::Tensor x = torch::randn({7}, torch::dtype(torch::kFloat64).requires_grad(true));
  torch::Tensor y7 = Softsign::apply(x);  // no gradcheck in C++: torch.autograd.gradcheck is Python's
  // [/doc]
  y7.sum().backward();
  torch::Tensor d = 1 + x.detach().abs();
  TORCH_CHECK(torch::allclose(x.grad(), 1 / (d * d)));
}

void dtypes_determinism_threads() {
  torch::nn::Sequential model = small_model();
  const torch::Tensor x = torch::randn({2, 4});
  // [doc]
  torch::nn::Linear layer(4, 3);
  layer->to(torch::kFloat64);  // modules are built in the default dtype (float32), then converted
  model->to(torch::kFloat64);
  torch::Tensor x64 = x.to(torch::kFloat64);
  // model->to(torch::kCUDA) moves it to a GPU: tapegrad has no counterpart
  // [/doc]
  TORCH_CHECK(model->forward(x64).dtype() == torch::kFloat64);
  // [doc]
  torch::manual_seed(42);  // one global generator: weights, dropout masks, RandomSampler's order
  at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  torch::nn::Sequential seeded(torch::nn::Linear(4, 512), torch::nn::SELU(), torch::nn::AlphaDropout(0.1),
                               torch::nn::Linear(512, 3));
  // [/doc]
  TORCH_CHECK(seeded->size() == 4);
  // [doc]
  torch::set_num_threads(2);  // intra-op threads; torch::set_num_interop_threads for the other pool
  std::printf("%d threads\n", torch::get_num_threads());
  // [/doc]
}

}  // namespace

int main() {
  tensors_and_autograd();
  build_a_model();
  data_loading();
  training_loop_and_evaluation();
  optimizers();
  schedules();
  save_and_load();
  custom_module_and_op();
  dtypes_determinism_threads();
  std::printf("all libtorch blocks ran\n");
  return 0;
}
