// The tapegrad snippets of docs/for-pytorch-users.md, compiled and run with assertions. Each block
// between "// [doc]" and "// [/doc]" appears verbatim (dedented) in the doc, and every `code` span
// of the doc's quick-reference table's tapegrad column appears verbatim in this file:
// scripts/check_doc_snippets.py, run by CTest as doc_for_pytorch_users, fails otherwise. (The
// doc's libtorch blocks are regions of docs_libtorch_column.cpp, next to this file.)
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "docs/blobs.h"
#include "support.h"
#include "tapegrad.h"

using namespace tg;

namespace {

using test::blobs;

nn::Sequential small_model(std::uint64_t seed) {
  Generator gen(seed);
  return nn::Sequential{nn::Linear(4, 64, gen), nn::SELU(), nn::Linear(64, 3, gen)};
}

// Runs a test in a fresh temporary folder, so that the doc can name files plainly ("run.npz").
class InTempFolder {
 public:
  InTempFolder() : previous_(std::filesystem::current_path()) { std::filesystem::current_path(dir_.path()); }
  ~InTempFolder() { std::filesystem::current_path(previous_); }
  const test::TempDir& dir() const { return dir_; }

 private:
  test::TempDir dir_;
  std::filesystem::path previous_;
};

// [doc]
// y = x / (1 + |x|),  dy/dx = 1 / (1 + |x|)²;  backward reads x, which the record keeps anyway.
Tensor softsign(const Tensor& x) {
  check_float_tensor(x, "softsign");  // a tg::Error naming the op for int64 or undefined x
  Tensor y = empty_like(x);
  dispatch(x.dtype(), "softsign", [&]<class T>() {  // T = float or double
    const T* in = x.data<T>();
    T* out = y.data<T>();
    for (std::int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] / (T(1) + std::abs(in[i]));
  });
  record("softsign", {x}, y, {}, [x](const Tensor& gy) {  // capture what backward needs, never y
    Tensor gx = grad_of(x);                               // x's gradient slot, zero-filled at first
    dispatch(x.dtype(), "softsign", [&]<class T>() {
      const T* in = x.data<T>();
      const T* g = gy.data<T>();
      T* out = gx.data<T>();
      for (std::int64_t i = 0; i < x.numel(); ++i) {
        const T d = T(1) + std::abs(in[i]);
        out[i] += g[i] / (d * d);  // accumulate: x may feed several ops
      }
    });
  });
  return y;
}
// [/doc]

// [doc]
class Net : public nn::Module {
 public:
  Net(std::int64_t in, std::int64_t hidden, std::int64_t out, Generator& gen)
      : fc1(register_module("fc1", std::make_shared<nn::Linear>(in, hidden, gen))),
        fc2(register_module("fc2", std::make_shared<nn::Linear>(hidden, out, gen))),
        scale(register_parameter("scale", ones({hidden}))) {}
  Tensor forward(const Tensor& x) override { return (*fc2)(selu((*fc1)(x)) * scale); }
  std::string type() const override { return "Net"; }  // the name in summaries

  std::shared_ptr<nn::Linear> fc1, fc2;
  Tensor scale;
};
// [/doc]

}  // namespace

TEST_CASE("for-pytorch-users: tensors and autograd") {
  Generator gen(3);
  Tensor x = randn({5, 3}, gen, DType::float64);
  // [doc]
  Tensor w = randn({3, 2}, gen, DType::float64).requires_grad(true);
  Tensor loss = sum(square(matmul(x, w)));
  backward(loss);            // fills w.grad(); the tape is cleared afterwards
  Tensor g = w.grad();       // d loss / d w, [3, 2]
  double value = loss.item();
  Tensor frozen = w.detach();  // same storage, no gradient
  // [/doc]
  // d/dw Σ (xw)² = 2 xᵀ(xw), by hand.
  for (std::int64_t i = 0; i < 3; ++i)
    for (std::int64_t j = 0; j < 2; ++j) {
      double expected = 0;
      for (std::int64_t n = 0; n < 5; ++n) {
        double xw = 0;
        for (std::int64_t k = 0; k < 3; ++k) xw += x.at({n, k}) * w.at({k, j});
        expected += 2 * x.at({n, i}) * xw;
      }
      CHECK(g.at({i, j}) == Approx(expected).epsilon(1e-12));
    }
  CHECK(value > 0);
  CHECK(!frozen.requires_grad());
  CHECK(tape().size() == 0);
  CHECK_THROWS_WITH(backward(loss), Catch::Contains("backward"));  // a second backward is an error
}

TEST_CASE("for-pytorch-users: build a model") {
  // [doc]
  Generator gen(0);  // every layer draws its initial weights from a generator you pass
  nn::Sequential model{nn::Linear(4, 64, gen), nn::SELU(), nn::Linear(64, 3, gen)};
  model.push_back(nn::Linear(3, 3, gen));  // or add(); a std::shared_ptr<nn::Module> works too
  model.apply([&](nn::Module& m) {         // children first, as in libtorch
    if (auto* linear = m.as<nn::Linear>()) nn::init::kaiming_uniform(linear->weight, gen, std::sqrt(5.0));
  });
  std::cout << model;  // the tree, with parameter counts
  // [/doc]
  REQUIRE(model.size() == 4);
  std::vector<std::string> names;
  for (const auto& [name, t] : model.state_dict()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"});
  // kaiming_uniform with a = √5 is libtorch's Linear default: U(±1/√fan_in).
  const Tensor w0 = model[0].as<nn::Linear>()->weight;
  double largest = 0;
  for (double v : w0.to_vector()) largest = std::max(largest, std::abs(v));
  CHECK(largest <= 0.5);
  CHECK(largest > 0.4);
  std::ostringstream summary;
  summary << model;
  CHECK(summary.str().find("Linear") != std::string::npos);
}

TEST_CASE("for-pytorch-users: data loading") {
  const Dataset blob = blobs(100, 5);
  const Tensor features = blob.features, targets = blob.labels;
  std::int64_t batches = 0, rows = 0;
  // [doc]
  Dataset train{features, targets};  // float32 [N, D] and int64 class ids [N]; no copy
  DataLoader loader(train, {.batch_size = 32, .shuffle = true, .drop_last = false, .seed = 0});
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (auto [x, y] : loader) {  // one epoch, in an order that is a function of (seed, epoch)
      // x: [32, D] (the last batch may be shorter), y: [32]
      ++batches;
      rows += x.size(0);
    }
  }
  // [/doc]
  CHECK(batches == 3 * 4);
  CHECK(rows == 300);
  CHECK(loader.num_batches() == 4);
  const std::string dir = "/usr/lib/python3/dist-packages/sklearn/datasets/data/";
  // [doc]
  CsvData iris = read_csv(dir + "iris.csv", {.label_index = -1, .skip_rows = 1, .header = false});
  auto [fit, held_out] = stratified_split(iris.dataset(), 0.2, /*seed=*/0);  // 120 and 30 rows
  StandardScaler scaler;
  scaler.fit(fit.features);
  DataLoader iris_loader(scaler.transform(fit), {.batch_size = 16, .seed = 0});
  // [/doc]
  CHECK(fit.size() == 120);
  CHECK(held_out.size() == 30);
  CHECK(iris_loader.num_batches() == 8);
}

TEST_CASE("for-pytorch-users: the training loop, no-grad, eval mode and evaluation") {
  const Dataset train = blobs(300, 1), test = blobs(90, 2);
  DataLoader loader(train, {.batch_size = 32, .seed = 0});
  nn::Sequential model = small_model(0);
  // [doc]
  optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  for (int epoch = 0; epoch < 20; ++epoch) {
    for (auto [x, y] : loader) {
      Tensor loss = cross_entropy(model(x), y);  // mean over the batch, as in libtorch
      opt.zero_grad();                           // drops the gradients (set_to_none)
      backward(loss);
      opt.step();
    }
  }
  // [/doc]
  const Tensor x = test.features;
  {
    // [doc]
    NoGrad no_grad;  // nothing is recorded in this scope
    model.eval();    // dropout off, BatchNorm uses its running statistics
    Tensor logits = model(x);
    model.train();
    // [/doc]
    CHECK(tape().size() == 0);
    CHECK(!logits.requires_grad());
    CHECK(!grad_enabled());
  }
  CHECK(grad_enabled());
  CHECK(model.is_training());

  // [doc]
  Evaluation result = evaluate(model, test);  // under NoGrad, in eval mode, 1000 rows at a time
  std::printf("loss %.4f, accuracy %.4f on %lld examples\n", result.loss, result.accuracy,
              static_cast<long long>(result.count));
  Tensor scores = predict(model, test.features);                // [N, C], NoGrad and eval mode too
  Tensor confusion = confusion_matrix(scores, test.labels);     // int64 [C, C], rows: the true class
  double auc = roc_auc(softmax(scores), test.labels);           // one-vs-rest, macro-averaged
  double share = accuracy(argmax(scores, 1), test.labels);      // predicted ids work too
  // [/doc]
  CHECK(result.count == 90);
  CHECK(result.accuracy > 0.9);
  CHECK(result.accuracy == share);
  CHECK(auc > 0.95);
  CHECK(confusion.shape() == Shape{3, 3});
  std::int64_t total = 0;
  for (double v : confusion.to_vector()) total += static_cast<std::int64_t>(v);
  CHECK(total == 90);
  CHECK(model.is_training());
  CHECK(tape().size() == 0);
}

TEST_CASE("for-pytorch-users: optimizers, parameter groups and clipping") {
  const Dataset train = blobs(64, 3);
  const Tensor x = train.features, y = train.labels;
  nn::Sequential model = small_model(1);
  // [doc]
  optim::AdamW opt({{.params = model[0].parameters(), .options = {.lr = 1e-3}},
                    {.params = model[2].parameters(), .options = {.lr = 1e-2, .weight_decay = 0}}});
  Tensor loss = cross_entropy(model(x), y);
  opt.zero_grad();
  backward(loss);
  double norm = optim::clip_grad_norm(model.parameters(), 1.0);  // the total 2-norm before clipping
  optim::clip_grad_value(model.parameters(), 0.5);               // then clamp into [-0.5, 0.5]
  opt.step();
  opt.set_lr(1, 5e-3);                 // group 1's learning rate; set_lr(lr) sets every group's
  opt.options(0).weight_decay = 0.05;  // any option of a group, between steps
  // [/doc]
  CHECK(norm > 0);
  CHECK(opt.lr(0) == 1e-3);
  CHECK(opt.lr(1) == 5e-3);
  CHECK(opt.options(1).weight_decay == 0);
  CHECK(opt.options(0).weight_decay == 0.05);
  double clipped = 0;
  for (const Tensor& p : model.parameters())
    for (double v : p.grad().to_vector()) clipped = std::max(clipped, std::abs(v));
  CHECK(clipped <= 0.5);
  // [doc]
  optim::SGD sgd(model.parameters(), {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  optim::Adam adam(model.parameters(), {.lr = 1e-3, .betas = {0.9, 0.999}});
  optim::RMSprop rmsprop(model.parameters(), {.lr = 1e-2, .alpha = 0.99});
  // [/doc]
  CHECK(sgd.options().nesterov);
  CHECK(adam.options().betas.second == 0.999);
  CHECK(rmsprop.lr() == 1e-2);
}

TEST_CASE("for-pytorch-users: schedules") {
  nn::Sequential model = small_model(2);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  // [doc]
  optim::SequentialLR schedule(opt,
                               {std::make_shared<optim::LinearLR>(opt, 0.1, 1.0, 5),   // 5 warm-up epochs
                                std::make_shared<optim::CosineAnnealingLR>(opt, 45)},  // then cosine to 0
                               {5});
  for (int epoch = 0; epoch < 50; ++epoch) {
    // ... one epoch of updates ...
    schedule.step();  // once per epoch, after its updates
  }
  // [/doc]
  CHECK(opt.lr() == Approx(0.0).margin(1e-15));
  CHECK(schedule.epoch() == 50);
  CHECK(std::abs(schedule.lr_at(5, 0.1) - 0.1) < 1e-15);
  CHECK(std::abs(schedule.lr_at(0, 0.1) - 0.01) < 1e-15);

  optim::SGD opt2(model.parameters(), {.lr = 0.1});
  // [doc]
  optim::ReduceLROnPlateau plateau(opt2, {.factor = 0.5, .patience = 3});
  for (int epoch = 0; epoch < 10; ++epoch) {
    const double validation_loss = 1.0;  // never improves
    plateau.step(validation_loss);
  }
  // [/doc]
  CHECK(opt2.lr() < 0.1);
  CHECK(opt2.lr() >= 0.025);

  optim::SGD opt3(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  const Dataset train = blobs(64, 4);
  DataLoader loader(train, {.batch_size = 16, .seed = 0});
  const int epochs = 3;
  // [doc]
  optim::OneCycleLR one_cycle(opt3, {.max_lr = 0.1, .total_steps = epochs * loader.num_batches()});
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (auto [x, y] : loader) {
      Tensor loss = cross_entropy(model(x), y);
      opt3.zero_grad();
      backward(loss);
      opt3.step();
      one_cycle.step();  // once per batch, after the update
    }
  }
  // [/doc]
  CHECK(one_cycle.epoch() == 12);
  CHECK(opt3.lr() < 1e-4);
}

TEST_CASE("for-pytorch-users: checkpoints, weights files and PyTorch state_dicts") {
  InTempFolder folder;
  const Dataset train = blobs(64, 6);
  nn::Sequential model = small_model(3);
  optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
  optim::StepLR schedule(opt, 30, 0.1);
  backward(cross_entropy(model(train.features), train.labels));
  opt.step();
  const std::vector<double> trained = model[0].as<nn::Linear>()->weight.to_vector();
  // [doc]
  optim::save_checkpoint("run.npz", model, &opt, {.epoch = 10}, &schedule);  // atomically
  // ... later, with the same model, optimizer and schedule built again:
  optim::TrainingState state = optim::load_checkpoint("run.npz", model, &opt, &schedule);  // state.epoch: 10
  // [/doc]
  CHECK(state.epoch == 10);
  CHECK(opt.state().size() > 5);

  // [doc]
  optim::save_weights("weights.npz", model);  // state_dict() under PyTorch's names: "0.weight", ...
  optim::load_weights("weights.npz", model);  // strict: every name must match, as load_state_dict
  // [/doc]
  CHECK(model[0].as<nn::Linear>()->weight.to_vector() == trained);
  std::vector<std::string> saved;
  for (const auto& [name, t] : load_npz("weights.npz")) saved.push_back(name);
  CHECK(saved == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});

  // What PyTorch's numpy.savez line in the doc writes for Sequential(Linear(4, 64), SELU(),
  // Linear(64, 3)): its state_dict names and shapes, float32 (here filled with a pattern).
  test::run_python(folder.dir(), R"(
import numpy as np
state_dict = {"0.weight": (64, 4), "0.bias": (64,), "2.weight": (3, 64), "2.bias": (3,)}
np.savez("from_pytorch.npz", **{k: (np.arange(np.prod(s)) % 7 / 8.0).astype(np.float32).reshape(s)
                                for k, s in state_dict.items()})
)",
                   {});
  // [doc]
  optim::LoadReport report = optim::load_weights("from_pytorch.npz", model, {.strict = false});
  std::cout << report.str();  // matched, converted (float64 → float32), missing, unexpected
  // [/doc]
  CHECK(report.matched.size() == 4);
  CHECK(report.missing.empty());
  CHECK(model[2].as<nn::Linear>()->bias.to_vector() == std::vector<double>{0, 0.125, 0.25});
}

TEST_CASE("for-pytorch-users: a custom module") {
  const Dataset train = blobs(32, 7);
  // [doc]
  Generator gen(0);
  Net net(4, 16, 3, gen);
  Tensor loss = cross_entropy(net(train.features), train.labels);
  // [/doc]
  std::vector<std::string> names;
  for (const auto& [name, t] : net.named_parameters()) names.push_back(name);
  // PyTorch's order: the module's own parameters, then each child's.
  CHECK(names == std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  backward(loss);
  CHECK(net.scale.grad().defined());
  CHECK(net.fc1->weight.grad().defined());
  CHECK(net.parameter_count() == 16 + 16 * 4 + 16 + 3 * 16 + 3);
  // Movable, so it goes into a Sequential by value (Note [Moving modules]).
  nn::Sequential chain{std::move(net), nn::SELU()};
  CHECK(chain.state_dict().size() == 5);
}

TEST_CASE("for-pytorch-users: a custom op, checked by gradcheck") {
  Generator gen(8);
  // [doc]
  Tensor x = randn({7}, gen, DType::float64).requires_grad(true);
  GradcheckResult check = gradcheck([](const std::vector<Tensor>& in) { return softsign(in[0]); }, {x});
  std::cout << check.str() << "\n";  // analytic against central differences: the worst element
  // [/doc]
  REQUIRE(check.ok);
  CHECK(check.checked == 7);
  Tensor y = softsign(x.detach());
  for (std::int64_t i = 0; i < 7; ++i) CHECK(y.at({i}) == Approx(x.at({i}) / (1 + std::abs(x.at({i})))));
  Tensor x32 = randn({9}, gen).requires_grad(true);
  backward(sum(softsign(x32)));
  CHECK(x32.grad().dtype() == DType::float32);
  CHECK_THROWS_WITH(softsign(labels({1, 2})), Catch::Contains("softsign"));
}

TEST_CASE("for-pytorch-users: dtypes") {
  Generator gen(9);
  nn::Sequential model = small_model(4);
  const Tensor x = randn({2, 4}, gen);
  // [doc]
  nn::Linear layer(4, 3, gen, DType::float64);  // built in float64, or converted later:
  model.to(DType::float64);                      // every parameter and buffer, in place
  Tensor x64 = x.to(DType::float64);             // a converted copy (differentiable)
  // [/doc]
  CHECK(layer.weight.dtype() == DType::float64);
  CHECK(model[0].as<nn::Linear>()->weight.dtype() == DType::float64);
  CHECK(model(x64).dtype() == DType::float64);
  CHECK_THROWS_WITH(model(x), Catch::Contains("float32"));  // no silent promotion
}

namespace {
// Trains an alpha-dropout net for a few steps and returns every parameter's bits. A batch of
// 256 × 512 hidden units is several times kParallelGrain, so with 2 threads the ops do split.
std::vector<double> seeded_run(const Dataset& train) {
  // [doc]
  Generator gen(42);                                      // the weights
  nn::Sequential model{nn::Linear(4, 512, gen), nn::SELU(), nn::AlphaDropout(0.1, /*seed=*/1),
                       nn::Linear(512, 3, gen)};           // each dropout layer has its own seed
  DataLoader loader(train, {.batch_size = 256, .seed = 7});  // epoch e's order: a function of (7, e)
  // [/doc]
  optim::SGD opt(model.parameters(), {.lr = 0.05});
  for (int epoch = 0; epoch < 2; ++epoch)
    for (auto [x, y] : loader) {
      Tensor loss = cross_entropy(model(x), y);
      opt.zero_grad();
      backward(loss);
      opt.step();
    }
  std::vector<double> bits;
  for (const Tensor& p : model.parameters())
    for (double v : p.to_vector()) bits.push_back(v);
  return bits;
}
}  // namespace

TEST_CASE("for-pytorch-users: determinism and threads") {
  const Dataset train = blobs(512, 10);
  const int threads_before = num_threads();
  // [doc]
  set_num_threads(2);  // or OMP_NUM_THREADS=2: the threads of tapegrad's pool, inside each op
  std::printf("%d threads\n", num_threads());
  // [/doc]
  CHECK(num_threads() == 2);
  const std::vector<double> two = seeded_run(train);
  set_num_threads(1);
  const std::vector<double> one = seeded_run(train);
  set_num_threads(threads_before);
  CHECK(one == two);  // the same bits whatever the thread count
  CHECK(seeded_run(train) == one);
}
