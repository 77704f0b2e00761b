#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>

#include "tensor/npz.h"
#include "autograd/tape.h"
#include "nn/layers.h"
#include "ops/loss.h"
#include "train/checkpoint.h"
#include "optim/adam.h"
#include "optim/rmsprop.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"
#include "support.h"

using namespace tg;
using test::Bytes;
using test::bytes_of;
using test::read_bytes;
using test::run_python;
using test::TempDir;
using test::write_bytes;

namespace {

// Everything a load may write: parameter, buffer and optimizer-state bytes, generator positions, lr.
struct Snapshot {
  std::vector<Bytes> tensors;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> generators;
  double lr = 0;
  bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const nn::Module& model, const optim::Optimizer* optimizer = nullptr) {
  Snapshot s;
  for (const auto& [name, t] : model.named_parameters()) s.tensors.push_back(bytes_of(t));
  for (const auto& [name, t] : model.named_buffers()) s.tensors.push_back(bytes_of(t));
  for (const auto& [name, g] : model.named_generators()) s.generators.emplace_back(g->seed(), g->offset());
  if (optimizer) {
    for (const auto& [name, t] : optimizer->state()) s.tensors.push_back(bytes_of(t));
    s.lr = optimizer->lr();
  }
  return s;
}

// Linear → BatchNorm1d → SELU → AlphaDropout → Linear: parameters, buffers and a generator.
std::shared_ptr<nn::Sequential> small_model(std::uint64_t seed, std::int64_t in_features = 4) {
  Generator gen(seed);
  auto model = std::make_shared<nn::Sequential>();
  model->add(std::make_shared<nn::Linear>(in_features, 6, gen))
      .add(std::make_shared<nn::BatchNorm1d>(6))
      .add(std::make_shared<nn::SELU>())
      .add(std::make_shared<nn::AlphaDropout>(0.2, seed + 1))
      .add(std::make_shared<nn::Linear>(6, 3, gen));
  return model;
}

// Gives every parameter a random gradient and steps, so the optimizer has momentum buffers;
// moves the buffers and generators off their initial values too.
void disturb(nn::Module& model, optim::Optimizer& optimizer, std::uint64_t seed) {
  std::uint64_t k = seed;
  for (Tensor p : model.parameters()) p.impl()->grad = test::random_tensor(p.shape(), p.dtype(), ++k).impl_ptr();
  optimizer.step();
  for (auto& [name, b] : model.named_buffers())
    if (b.dtype() == DType::int64)
      *b.data<std::int64_t>() += static_cast<std::int64_t>(++k);  // num_batches_tracked
    else
      std::memcpy(b.raw_data(), test::random_tensor(b.shape(), b.dtype(), ++k).raw_data(), bytes_of(b).size());
  for (auto& [name, g] : model.named_generators()) g->advance(seed);
}

}  // namespace

TEST_CASE("checkpoint round trip restores parameters, buffers, generators, optimizer state and counters") {
  TempDir dir;
  auto model = small_model(1);
  optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  disturb(*model, optimizer, 17);
  optimizer.set_lr(0.0125);
  optim::TrainingState state;
  state.epoch = 3;
  state.step = 1234;
  state.seed = 0xFEDCBA9876543210ull;  // does not fit an int64: the bits must survive
  state.generators = {{"shuffle", Generator(5, 123)}};
  state.metrics = {{"val_loss", 0.25}, {"accuracy", 0.875}};
  optim::save_checkpoint(dir / "ckpt.npz", *model, &optimizer, state);

  auto fresh = small_model(99);
  optim::SGD fresh_optimizer(fresh->parameters(), {.lr = 0.05, .momentum = 0.9});
  const Tensor weight_handle = static_cast<nn::Linear&>((*fresh)[0]).weight;
  REQUIRE_FALSE(snapshot(*fresh, &fresh_optimizer) == snapshot(*model, &optimizer));

  const optim::TrainingState loaded = optim::load_checkpoint(dir / "ckpt.npz", *fresh, &fresh_optimizer);
  CHECK(snapshot(*fresh, &fresh_optimizer) == snapshot(*model, &optimizer));
  CHECK(fresh_optimizer.lr() == 0.0125);
  CHECK(fresh_optimizer.state().size() == 5 + 2 * 6);  // SGD's 5 options, and 6 steps and buffers
  // Loaded into the existing storage: the layer's own handle sees the values.
  CHECK(static_cast<nn::Linear&>((*fresh)[0]).weight.same(weight_handle));
  CHECK(bytes_of(weight_handle) == bytes_of(static_cast<nn::Linear&>((*model)[0]).weight));
  CHECK(loaded.epoch == 3);
  CHECK(loaded.step == 1234);
  CHECK(loaded.seed == 0xFEDCBA9876543210ull);
  REQUIRE(loaded.generators.size() == 1);
  CHECK(loaded.generators[0].first == "shuffle");
  CHECK(loaded.generators[0].second.seed() == 5);
  CHECK(loaded.generators[0].second.offset() == 123);
  CHECK(loaded.metrics == state.metrics);

  // The model alone, ignoring the optimizer state in the file.
  auto eval_model = small_model(7);
  optim::load_checkpoint(dir / "ckpt.npz", *eval_model, nullptr);
  CHECK(snapshot(*eval_model) == snapshot(*model));
}

TEST_CASE("numpy.load reads a checkpoint") {
  TempDir dir;
  auto model = small_model(1);
  optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  disturb(*model, optimizer, 3);
  optim::TrainingState state;
  state.epoch = 2;
  state.step = 14;
  state.seed = 42;
  optim::save_checkpoint(dir / "ckpt.npz", *model, &optimizer, state);
  const std::string out = run_python(dir, R"(
import sys, numpy as np
d = np.load(sys.argv[1])
print(sorted(d.files))
print(d['model/0.weight'].shape, d['model/0.weight'].dtype, d['state/epoch'], d['state/step'], d['optimizer/group.0.lr'])
print(d['generator/3.generator'].tolist())
)",
                                           {dir / "ckpt.npz"});
  const std::string weight = cat(static_cast<nn::Linear&>((*model)[0]).weight.at({1, 2}));
  CHECK(out ==
        "['buffer/1.num_batches_tracked', 'buffer/1.running_mean', 'buffer/1.running_var', 'generator/3.generator', "
        "'meta/format', 'model/0.bias', 'model/0.weight', 'model/1.bias', 'model/1.weight', 'model/4.bias', "
        "'model/4.weight', 'optimizer/group.0.dampening', 'optimizer/group.0.lr', 'optimizer/group.0.momentum', "
        "'optimizer/group.0.nesterov', 'optimizer/group.0.weight_decay', 'optimizer/momentum_buffer.0', "
        "'optimizer/momentum_buffer.1', 'optimizer/momentum_buffer.2', 'optimizer/momentum_buffer.3', "
        "'optimizer/momentum_buffer.4', 'optimizer/momentum_buffer.5', 'optimizer/step.0', 'optimizer/step.1', "
        "'optimizer/step.2', 'optimizer/step.3', 'optimizer/step.4', 'optimizer/step.5', "
        "'state/epoch', 'state/seed', 'state/step']\n"
        "(6, 4) float32 2 14 0.05\n"
        "[2, 3]\n");
}

TEST_CASE("load_checkpoint rejects a model or optimizer that does not match and changes nothing") {
  TempDir dir;
  auto model = small_model(1);
  optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  disturb(*model, optimizer, 3);
  optim::save_checkpoint(dir / "ckpt.npz", *model, &optimizer, {});
  optim::save_checkpoint(dir / "no_optimizer.npz", *model, nullptr, {});

  // Each target has state of its own (a stepped optimizer), which a failed load must keep.
  auto expect_unchanged = [&](nn::Module& target, optim::Optimizer* target_optimizer, const std::string& path,
                              const Catch::Matchers::Impl::MatcherBase<std::string>& message) {
    const Snapshot before = snapshot(target, target_optimizer);
    REQUIRE_THROWS_WITH(optim::load_checkpoint(path, target, target_optimizer), message);
    CHECK(snapshot(target, target_optimizer) == before);
  };

  auto wider = small_model(5, 5);
  optim::SGD wider_optimizer(wider->parameters(), {.lr = 0.1, .momentum = 0.9});
  disturb(*wider, wider_optimizer, 8);
  expect_unchanged(*wider, &wider_optimizer, dir / "ckpt.npz",
                   Catch::Contains("load_checkpoint") && Catch::Contains("ckpt.npz") &&
                       Catch::Contains("'model/0.weight' is [6, 4] float32 in the file, expected [6, 5] float32"));

  auto deeper = small_model(5);
  deeper->add(std::make_shared<nn::SELU>());
  Generator gen(3);
  deeper->add(std::make_shared<nn::Linear>(3, 2, gen));
  expect_unchanged(*deeper, nullptr, dir / "ckpt.npz", Catch::Contains("'model/6.weight' is missing"));

  auto shallower = small_model(5);
  auto truncated = std::make_shared<nn::Sequential>();
  for (std::size_t i = 0; i < 4; ++i) truncated->add(shallower->children()[i].second);
  expect_unchanged(*truncated, nullptr, dir / "ckpt.npz",
                   Catch::Contains("unexpected array 'model/4.weight' ([3, 6] float32)"));

  auto double_model = small_model(5);
  double_model->to(DType::float64);
  expect_unchanged(*double_model, nullptr, dir / "ckpt.npz",
                   Catch::Contains("'model/0.weight' is [6, 4] float32 in the file, expected [6, 4] float64"));

  // Everything in the model matches, but the optimizer was built over the parameters in another
  // order, so SGD's own check fails: its previous state is put back and the model is untouched.
  auto same = small_model(5);
  std::vector<Tensor> reversed = same->parameters();
  std::reverse(reversed.begin(), reversed.end());
  optim::SGD reversed_optimizer(reversed, {.lr = 0.3, .momentum = 0.9});
  disturb(*same, reversed_optimizer, 9);
  expect_unchanged(*same, &reversed_optimizer, dir / "ckpt.npz",
                   Catch::Contains("ckpt.npz") && Catch::Contains("SGD.load_state") &&
                       Catch::Contains("'momentum_buffer.0' ([6, 4] float32): does not match parameter 0 ([3] float32)"));

  optim::SGD same_optimizer(same->parameters(), {.lr = 0.3, .momentum = 0.9});
  expect_unchanged(*same, &same_optimizer, dir / "no_optimizer.npz", Catch::Contains("holds no optimizer state"));

  save_npz(dir / "other.npz", {{"x", tensor({1, 2})}});
  expect_unchanged(*same, nullptr, dir / "other.npz", Catch::Contains("not a tapegrad checkpoint"));
}

TEST_CASE("a truncated or corrupted checkpoint gives a clear error and never half-loads the model") {
  TempDir dir;
  auto model = small_model(1);
  optim::SGD optimizer(model->parameters(), {.lr = 0.05, .momentum = 0.9});
  disturb(*model, optimizer, 3);
  optim::save_checkpoint(dir / "ckpt.npz", *model, &optimizer, {});
  const Bytes good = read_bytes(dir / "ckpt.npz");

  auto target = small_model(2);
  optim::SGD target_optimizer(target->parameters(), {.lr = 0.2, .momentum = 0.9});
  disturb(*target, target_optimizer, 4);
  const Snapshot before = snapshot(*target, &target_optimizer);

  for (std::size_t length : {std::size_t(0), std::size_t(3), good.size() / 4, good.size() / 2, good.size() - 30,
                             good.size() - 1}) {
    write_bytes(dir / "cut.npz", Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length)));
    INFO("truncated to " << length << " of " << good.size() << " bytes");
    REQUIRE_THROWS_WITH(optim::load_checkpoint(dir / "cut.npz", *target, &target_optimizer),
                        Catch::Contains("cut.npz") && (Catch::Contains("truncated") || Catch::Contains("bad magic")));
    CHECK(snapshot(*target, &target_optimizer) == before);
  }

  // One flipped bit in the last layer's weights, stored after the other layers' parameters,
  // which a loader that copied as it read would already have overwritten.
  const Bytes last = bytes_of(static_cast<nn::Linear&>((*model)[4]).weight);
  Bytes bytes = good;
  const auto at = std::search(bytes.begin(), bytes.end(), last.begin(), last.end());
  REQUIRE(at != bytes.end());
  at[5] ^= 0x04;
  write_bytes(dir / "flipped.npz", bytes);
  REQUIRE_THROWS_WITH(optim::load_checkpoint(dir / "flipped.npz", *target, &target_optimizer),
                      Catch::Contains("member 'model/4.weight.npy': CRC mismatch (file corrupted)"));
  CHECK(snapshot(*target, &target_optimizer) == before);
}

namespace {

constexpr std::int64_t kExamples = 100, kFeatures = 8, kHidden = 32, kClasses = 3, kBatch = 16;

// How a Run trains: the optimizer and the schedule, which steps per batch or per epoch.
enum class Recipe {
  sgd_step_lr,            // SGD with momentum, StepLR per epoch
  adamw_one_cycle,        // AdamW, the last layer in a group of its own, OneCycleLR per batch
  rmsprop_plateau,        // centered RMSprop with momentum, ReduceLROnPlateau on the epoch's loss
};

// A training run: SELU MLP with alpha-dropout, an optimizer and schedule as `recipe` says, and a
// shuffling generator, all seeded from `seed`.
struct Run {
  std::shared_ptr<nn::Sequential> model = std::make_shared<nn::Sequential>();
  std::unique_ptr<optim::Optimizer> optimizer;
  std::unique_ptr<optim::LRScheduler> scheduler;
  std::function<void()> batch_done = [] {};
  std::function<void(double)> epoch_done;  // with the epoch's mean loss
  Generator shuffle;
  optim::TrainingState state;
  std::vector<double> losses;

  explicit Run(std::uint64_t seed, Recipe recipe = Recipe::sgd_step_lr) : shuffle(seed + 100) {
    Generator init(seed);
    model->add(std::make_shared<nn::Linear>(kFeatures, kHidden, init))
        .add(std::make_shared<nn::SELU>())
        .add(std::make_shared<nn::AlphaDropout>(0.1, seed + 1))
        .add(std::make_shared<nn::Linear>(kHidden, kHidden, init))
        .add(std::make_shared<nn::SELU>())
        .add(std::make_shared<nn::AlphaDropout>(0.1, seed + 2))
        .add(std::make_shared<nn::Linear>(kHidden, kClasses, init));
    if (recipe == Recipe::sgd_step_lr) {
      optimizer = std::make_unique<optim::SGD>(model->parameters(), optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
      auto step_lr = std::make_unique<optim::StepLR>(*optimizer, 1, 0.7);
      epoch_done = [s = step_lr.get()](double) { s->step(); };
      scheduler = std::move(step_lr);
    } else if (recipe == Recipe::adamw_one_cycle) {
      std::vector<Tensor> body = model->parameters(), head(body.end() - 2, body.end());
      body.resize(body.size() - 2);
      optimizer = std::make_unique<optim::AdamW>(std::vector<optim::AdamW::Group>{
          {body, {.lr = 0.01}}, {head, {.lr = 0.02, .weight_decay = 0.1, .amsgrad = true}}});
      auto one_cycle = std::make_unique<optim::OneCycleLR>(*optimizer, optim::OneCycleOptions{.max_lr = 0.02,
                                                                                               .total_steps = 4 * 7});
      batch_done = [s = one_cycle.get()] { s->step(); };
      epoch_done = [](double) {};
      scheduler = std::move(one_cycle);
    } else {
      optimizer = std::make_unique<optim::RMSprop>(
          model->parameters(), optim::RMSpropOptions{.lr = 0.005, .momentum = 0.5, .centered = true});
      auto plateau = std::make_unique<optim::ReduceLROnPlateau>(*optimizer, optim::ReduceLROnPlateauOptions{
                                                                                .factor = 0.5, .patience = 0});
      epoch_done = [s = plateau.get()](double loss) { s->step(loss); };
      scheduler = std::move(plateau);
    }
  }

  void train_epoch(const Tensor& x, const std::vector<std::int64_t>& y) {
    const std::vector<std::int64_t> order = randperm(kExamples, shuffle);
    double total = 0;
    for (std::int64_t begin = 0; begin < kExamples; begin += kBatch) {
      const std::int64_t rows = std::min(kBatch, kExamples - begin);  // the last batch has 4
      Tensor xb = empty({rows, kFeatures});
      std::vector<std::int64_t> yb;
      for (std::int64_t i = 0; i < rows; ++i) {
        const std::int64_t row = order[static_cast<std::size_t>(begin + i)];
        std::memcpy(xb.data<float>() + i * kFeatures, x.data<float>() + row * kFeatures, kFeatures * sizeof(float));
        yb.push_back(y[static_cast<std::size_t>(row)]);
      }
      optimizer->zero_grad();
      Tensor loss = cross_entropy((*model)(xb), labels(yb));
      backward(loss);
      optimizer->step();
      batch_done();
      losses.push_back(loss.item());
      total += losses.back();
      ++state.step;
    }
    ++state.epoch;
    epoch_done(total);
  }

  void save(const std::string& path) {
    state.generators = {{"shuffle", shuffle}};
    optim::save_checkpoint(path, *model, optimizer.get(), state, scheduler.get());
  }
  void load(const std::string& path, bool restore_shuffle = true) {
    state = optim::load_checkpoint(path, *model, optimizer.get(), scheduler.get());
    REQUIRE(state.generators.size() == 1);
    if (restore_shuffle) shuffle = state.generators[0].second;
  }
};

}  // namespace

TEST_CASE("training 2 epochs, saving, loading into a fresh model and training 2 more is bit-identical to 4 epochs") {
  const Recipe recipe = GENERATE(Recipe::sgd_step_lr, Recipe::adamw_one_cycle, Recipe::rmsprop_plateau);
  INFO("recipe " << static_cast<int>(recipe));
  TempDir dir;
  Generator data_gen(3);
  const Tensor x = randn({kExamples, kFeatures}, data_gen);
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < kExamples; ++i)
    y.push_back((x.at({i, 0}) > 0 ? 1 : 0) + (x.at({i, 1}) > 0.5 ? 1 : 0));

  Run straight(1, recipe);
  for (int epoch = 0; epoch < 4; ++epoch) straight.train_epoch(x, y);

  Run first(1, recipe);
  for (int epoch = 0; epoch < 2; ++epoch) first.train_epoch(x, y);
  first.save(dir / "epoch2.npz");

  Run resumed(777, recipe);  // other weights, dropout seeds and shuffle seed: the checkpoint must set all of them
  resumed.load(dir / "epoch2.npz");
  CHECK(resumed.state.epoch == 2);
  CHECK(resumed.state.step == 14);
  CHECK(resumed.optimizer->lr() == first.optimizer->lr());
  for (int epoch = 0; epoch < 2; ++epoch) resumed.train_epoch(x, y);

  REQUIRE(straight.losses.size() == 28);
  CHECK(std::vector<double>(straight.losses.begin(), straight.losses.begin() + 14) == first.losses);
  CHECK(std::vector<double>(straight.losses.begin() + 14, straight.losses.end()) == resumed.losses);
  CHECK(straight.losses.back() < straight.losses.front());  // it did learn something
  CHECK(resumed.state.step == straight.state.step);
  CHECK(snapshot(*resumed.model, resumed.optimizer.get()) == snapshot(*straight.model, straight.optimizer.get()));
  CHECK(resumed.shuffle.offset() == straight.shuffle.offset());
  std::vector<std::vector<double>> resumed_schedule, straight_schedule;
  for (const auto& [name, t] : resumed.scheduler->state()) resumed_schedule.push_back(t.to_vector());
  for (const auto& [name, t] : straight.scheduler->state()) straight_schedule.push_back(t.to_vector());
  CHECK(resumed_schedule == straight_schedule);

  // The comparison can fail: forgetting to restore the shuffling generator changes the result.
  Run careless(777, recipe);
  careless.load(dir / "epoch2.npz", false);
  for (int epoch = 0; epoch < 2; ++epoch) careless.train_epoch(x, y);
  CHECK_FALSE(snapshot(*careless.model) == snapshot(*straight.model));
}

TEST_CASE("a checkpoint carries the caller's extras, and a bad schedule or optimizer state loads nothing") {
  TempDir dir;
  auto model = small_model(1);
  optim::Adam adam(model->parameters(), {.lr = 0.01});
  optim::StepLR schedule(adam, 2, 0.5);
  disturb(*model, adam, 3);
  schedule.step();
  optim::TrainingState state;
  state.extras = {{"scaler/mean", tensor({1.0, 2.0}, DType::float64)},
                  {"config/hidden", tensor({6, 3}, DType::float64)}};
  optim::save_checkpoint(dir / "ckpt.npz", *model, &adam, state, &schedule);

  auto fresh = small_model(2);
  optim::Adam fresh_adam(fresh->parameters(), {.lr = 0.5});
  optim::StepLR fresh_schedule(fresh_adam, 2, 0.5);
  const optim::TrainingState loaded = optim::load_checkpoint(dir / "ckpt.npz", *fresh, &fresh_adam, &fresh_schedule);
  REQUIRE(loaded.extras.size() == 2);
  CHECK(loaded.extras[0].first == "scaler/mean");  // as saved
  CHECK(loaded.extras[0].second.to_vector() == std::vector<double>{1.0, 2.0});
  CHECK(loaded.extras[1].first == "config/hidden");
  CHECK(fresh_schedule.epoch() == 1);
  CHECK(fresh_adam.lr() == 0.01);
  CHECK(snapshot(*fresh, &fresh_adam) == snapshot(*model, &adam));

  // A ReduceLROnPlateau cannot take StepLR's state: nothing changes, the optimizer included.
  auto target = small_model(3);
  optim::Adam target_adam(target->parameters(), {.lr = 0.2});
  disturb(*target, target_adam, 4);
  optim::ReduceLROnPlateau plateau(target_adam);
  plateau.step(1.0);
  const Snapshot before = snapshot(*target, &target_adam);
  REQUIRE_THROWS_WITH(optim::load_checkpoint(dir / "ckpt.npz", *target, &target_adam, &plateau),
                      Catch::Contains("ckpt.npz") && Catch::Contains("ReduceLROnPlateau.load_state: unexpected entry"));
  CHECK(snapshot(*target, &target_adam) == before);
  CHECK(plateau.epoch() == 1);
  // The schedule loads but SGD rejects Adam's state: the schedule is put back as it was.
  optim::SGD sgd(target->parameters(), {.lr = 0.3, .momentum = 0.9});
  optim::StepLR sgd_schedule(sgd, 3);
  disturb(*target, sgd, 5);
  for (int e = 0; e < 4; ++e) sgd_schedule.step();
  const Snapshot before_sgd = snapshot(*target, &sgd);
  REQUIRE_THROWS_WITH(optim::load_checkpoint(dir / "ckpt.npz", *target, &sgd, &sgd_schedule),
                      Catch::Contains("SGD.load_state: 'group.0.beta1' ([] float64): SGD has no option 'beta1'"));
  CHECK(sgd_schedule.epoch() == 4);  // StepLR took the file's epoch 1, and was put back
  CHECK(snapshot(*target, &sgd) == before_sgd);
  optim::save_checkpoint(dir / "no_schedule.npz", *model, &adam, {});
  REQUIRE_THROWS_WITH(optim::load_checkpoint(dir / "no_schedule.npz", *target, &target_adam, &plateau),
                      Catch::Contains("holds no schedule state"));

  for (const char* bad : {"noslash", "model/x", "state/x", "/x", "x/"}) {
    INFO(bad);
    optim::TrainingState with_bad;
    with_bad.extras = {{bad, tensor({1.0})}};
    REQUIRE_THROWS_WITH(optim::save_checkpoint(dir / "bad.npz", *model, nullptr, with_bad),
                        Catch::Contains(cat("extra array '", bad, "' needs a name '<prefix>/<name>'")));
  }
}

TEST_CASE("a format-1 checkpoint (before parameter groups) is refused by name") {
  TempDir dir;
  auto model = small_model(1);
  NamedTensors arrays{{"meta/format", labels({1}).reshape({})}};
  for (const auto& [name, t] : model->named_parameters()) arrays.emplace_back("model/" + name, t);
  save_npz(dir / "old.npz", arrays);
  REQUIRE_THROWS_WITH(optim::load_checkpoint(dir / "old.npz", *model, nullptr),
                      Catch::Contains("checkpoint format 1 is not supported (this build reads 2)"));
}

TEST_CASE("a checkpoint whose optimizer members are malformed loads nothing, and the error names the member") {
  TempDir dir;
  auto model = small_model(1);
  optim::SGD sgd(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  disturb(*model, sgd, 2);
  optim::save_checkpoint(dir / "good.npz", *model, &sgd, {});
  const NamedTensors good = load_npz(dir / "good.npz");

  auto target = small_model(3);
  optim::SGD target_sgd(target->parameters(), {.lr = 0.2, .momentum = 0.9});
  disturb(*target, target_sgd, 4);  // the target has momentum buffers of its own, which must survive
  const Snapshot before = snapshot(*target, &target_sgd);
  REQUIRE(target_sgd.state().size() > 5);

  // Each case: rename or replace one member of the good file.
  struct Case {
    std::string from, to;
    double value;  // the new value of the member when `to` equals `from`
  };
  const std::vector<std::pair<std::string, Case>> cases = {
      {"momentum_buffer.x", {"optimizer/momentum_buffer.0", "optimizer/momentum_buffer.x", 0}},
      {"momentum_buffer.0junk", {"optimizer/momentum_buffer.0", "optimizer/momentum_buffer.0junk", 0}},
      {"momentum_buffer.99", {"optimizer/momentum_buffer.0", "optimizer/momentum_buffer.99", 0}},
      {"group.0.lr", {"optimizer/group.0.lr", "optimizer/group.0.lr", std::nan("")}},
      {"group.0.lr", {"optimizer/group.0.lr", "optimizer/group.0.lr", -0.5}},
      {"group.0.momentum", {"optimizer/group.0.momentum", "optimizer/group.0.momentum", INFINITY}},
  };
  for (const auto& [member, c] : cases) {
    INFO(c.to << " = " << c.value);
    NamedTensors arrays = good;
    bool found = false;
    for (auto& [name, t] : arrays)
      if (name == c.from) {
        found = true;
        if (c.to != c.from) name = c.to;
        else t = tensor({c.value}, DType::float64).reshape({});
      }
    REQUIRE(found);
    save_npz(dir / "bad.npz", arrays);
    const std::string message = test::error_of([&] { optim::load_checkpoint(dir / "bad.npz", *target, &target_sgd); });
    CHECK_THAT(message, Catch::Contains("bad.npz") && Catch::Contains(member));
    CHECK(snapshot(*target, &target_sgd) == before);
  }
}
