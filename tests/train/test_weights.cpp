// Weights files (Note [Weights files]): PyTorch state_dicts exported by numpy load into tapegrad
// models, tapegrad's weights read back in numpy, strict and non-strict loads, and the scaler.
#include <cmath>
#include <cstring>

#include "autograd/tape.h"
#include "nn/layers.h"
#include "support.h"
#include "train/checkpoint.h"
#include "train/weights.h"

using namespace tg;

namespace {

// The values the numpy script below writes: v_i = ((7i + k) mod 11 − 5)/8, exact in float32.
double pattern(std::int64_t i, int k) { return static_cast<double>((7 * i + k) % 11 - 5) / 8; }

// A numpy script writing PyTorch's state_dict of Sequential(Linear(3, 4), BatchNorm1d(4), SELU(),
// Linear(4, 2)) — the names torch.nn.Sequential gives, num_batches_tracked an int64 0-dim
// array — and a scaler, as numpy.savez(path, **{k: v.numpy() for k, v in sd.items()}) would.
constexpr const char* kWritePyTorchStateDict = R"(
import sys, numpy as np
path, dtype = sys.argv[1], sys.argv[2]
def pattern(shape, k):
    i = np.arange(int(np.prod(shape)))
    return (((7 * i + k) % 11 - 5) / 8.0).reshape(shape).astype(dtype)
sd = {
    "0.weight": pattern((4, 3), 0), "0.bias": pattern((4,), 1),
    "1.weight": pattern((4,), 2), "1.bias": pattern((4,), 3),
    "1.running_mean": pattern((4,), 4), "1.running_var": np.abs(pattern((4,), 5)) + 0.5,
    "1.num_batches_tracked": np.array(12, dtype=np.int64),
    "3.weight": pattern((2, 4), 6), "3.bias": pattern((2,), 7),
    "scaler/mean": np.array([1.5, -2.0, 0.25]), "scaler/scale": np.array([2.0, 0.5, 4.0]),
}
np.savez(path, **sd)
)";

std::shared_ptr<nn::Sequential> pytorch_shaped_model(std::uint64_t seed, DType dtype = DType::float32) {
  Generator gen(seed);
  auto model = std::make_shared<nn::Sequential>();
  model->add(nn::Linear(3, 4, gen, dtype)).add(nn::BatchNorm1d(4)).add(nn::SELU()).add(nn::Linear(4, 2, gen, dtype));
  model->to(dtype);
  return model;
}

std::vector<std::vector<double>> values(const nn::Module& model) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : model.state_dict()) out.push_back(t.to_vector());
  return out;
}

// The model's eval-mode output for x, in double, from the values the numpy script wrote.
std::vector<double> reference_forward(const std::vector<double>& x, std::int64_t batch) {
  constexpr double kLambda = 1.0507009873554804934193349852946, kAlpha = 1.6732632423543772848170429916717;
  std::vector<double> out;
  for (std::int64_t n = 0; n < batch; ++n) {
    std::vector<double> h(4);
    for (std::int64_t o = 0; o < 4; ++o) {
      double z = pattern(o, 1);
      for (std::int64_t i = 0; i < 3; ++i) z += x[n * 3 + i] * pattern(o * 3 + i, 0);
      const double var = std::abs(pattern(o, 5)) + 0.5;
      z = (z - pattern(o, 4)) / std::sqrt(var + 1e-5) * pattern(o, 2) + pattern(o, 3);
      h[o] = z > 0 ? kLambda * z : kLambda * kAlpha * std::expm1(z);
    }
    for (std::int64_t o = 0; o < 2; ++o) {
      double y = pattern(o, 7);
      for (std::int64_t i = 0; i < 4; ++i) y += h[i] * pattern(o * 4 + i, 6);
      out.push_back(y);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("load_weights takes a PyTorch state_dict exported with numpy.savez, and its scaler") {
  test::TempDir dir;
  test::run_python(dir, kWritePyTorchStateDict, {dir / "sd.npz", "float32"});
  auto model = pytorch_shaped_model(1);
  StandardScaler scaler;
  const optim::LoadReport report = optim::load_weights(dir / "sd.npz", *model, {.scaler = &scaler});
  CHECK(report.matched == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                   "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"});
  CHECK(report.converted.empty());
  CHECK(report.missing.empty());
  CHECK(report.unexpected.empty());
  CHECK(report.extras.size() == 2);
  CHECK(report.str().find("matched 9: 0.weight, 0.bias") != std::string::npos);
  CHECK(*(*model)[1].as<nn::BatchNorm1d>()->num_batches_tracked.data<std::int64_t>() == 12);
  CHECK(scaler.mean() == std::vector<double>{1.5, -2.0, 0.25});
  CHECK(scaler.scale() == std::vector<double>{2.0, 0.5, 4.0});

  // The loaded network computes what the state_dict describes (eval mode: running statistics).
  model->eval();
  NoGrad no_grad;
  const std::vector<double> x = {0.5, -1.0, 2.0, 0.0, 0.25, -0.75};
  const Tensor y = (*model)(tensor(x, {2, 3}));
  CHECK(test::max_rel_diff(y, reference_forward(x, 2)) < 1e-6);
}

TEST_CASE("float64 arrays load into a float32 model by conversion, and the report says so") {
  test::TempDir dir;
  test::run_python(dir, kWritePyTorchStateDict, {dir / "sd64.npz", "float64"});
  auto model = pytorch_shaped_model(2);
  const optim::LoadReport report = optim::load_weights(dir / "sd64.npz", *model);
  CHECK(report.matched.size() == 9);
  CHECK(report.converted == std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                     "1.running_var", "3.weight", "3.bias"});
  const Tensor w = (*model)[0].as<nn::Linear>()->weight;
  CHECK(w.dtype() == DType::float32);
  CHECK(w.at({1, 2}) == pattern(5, 0));

  // And float32 into float64.
  test::run_python(dir, kWritePyTorchStateDict, {dir / "sd32.npz", "float32"});
  auto wide = pytorch_shaped_model(2, DType::float64);
  CHECK(optim::load_weights(dir / "sd32.npz", *wide).converted.size() == 8);
  CHECK(values(*wide) == values(*model));
}

TEST_CASE("save_weights writes PyTorch's names, which numpy reads, and loads back") {
  test::TempDir dir;
  auto model = pytorch_shaped_model(3);
  (*model)(test::random_tensor({5, 3}, DType::float32));  // moves the running statistics
  tape().clear();
  StandardScaler scaler({0.5, 1.0, -1.0}, {1.0, 2.0, 3.0});
  optim::save_weights(dir / "w.npz", *model, optim::scaler_tensors(scaler));
  const std::string out = test::run_python(dir, R"(
import sys, numpy as np
d = np.load(sys.argv[1])
print(sorted(d.files))
print(d['1.num_batches_tracked'].dtype, d['1.num_batches_tracked'].shape, d['1.num_batches_tracked'])
print(d['0.weight'].dtype, d['0.weight'].shape, d['scaler/scale'].tolist())
)",
                                           {dir / "w.npz"});
  CHECK(out ==
        "['0.bias', '0.weight', '1.bias', '1.num_batches_tracked', '1.running_mean', '1.running_var', '1.weight', "
        "'3.bias', '3.weight', 'scaler/mean', 'scaler/scale']\n"
        "int64 () 1\n"
        "float32 (4, 3) [1.0, 2.0, 3.0]\n");
  auto fresh = pytorch_shaped_model(4);
  REQUIRE(values(*fresh) != values(*model));
  StandardScaler loaded;
  optim::load_weights(dir / "w.npz", *fresh, {.scaler = &loaded});
  CHECK(values(*fresh) == values(*model));
  CHECK(loaded.mean() == scaler.mean());
  CHECK(loaded.scale() == scaler.scale());
  REQUIRE_THROWS_WITH(optim::save_weights(dir / "bad.npz", *model, {{"mean", tensor({1.0})}}),
                      Catch::Contains("save_weights") && Catch::Contains("extra array 'mean' needs a '/'"));
}

TEST_CASE("non-strict loads report missing and unexpected weights, and strict ones refuse them") {
  test::TempDir dir;
  auto small = pytorch_shaped_model(5);
  optim::save_weights(dir / "w.npz", *small);
  Generator gen(6);
  auto bigger = pytorch_shaped_model(7);
  bigger->add(nn::Tanh()).add(nn::Linear(2, 2, gen));
  const auto before = values(*bigger);
  REQUIRE_THROWS_WITH(optim::load_weights(dir / "w.npz", *bigger),
                      Catch::Contains("load_weights: ") && Catch::Contains("w.npz") &&
                          Catch::Contains("missing from the file: 5.weight, 5.bias"));
  CHECK(values(*bigger) == before);
  const optim::LoadReport report = optim::load_weights(dir / "w.npz", *bigger, {.strict = false});
  CHECK(report.missing == std::vector<std::string>{"5.weight", "5.bias"});
  CHECK(report.matched.size() == 9);
  const auto after = values(*bigger);
  CHECK(std::vector<std::vector<double>>(after.begin(), after.begin() + 9) == values(*small));
  CHECK(after[9] == before[9]);  // a missing weight keeps its value

  auto truncated = std::make_shared<nn::Sequential>();
  Generator gen2(8);
  truncated->add(nn::Linear(3, 4, gen2));
  REQUIRE_THROWS_WITH(optim::load_weights(dir / "w.npz", *truncated),
                      Catch::Contains("unexpected (not in the model): 1.weight, 1.bias, 1.running_mean"));
  CHECK(optim::load_weights(dir / "w.npz", *truncated, {.strict = false}).unexpected.size() == 7);
}

TEST_CASE("a shape or dtype mismatch is an error even when not strict, naming the tensor and both shapes") {
  test::TempDir dir;
  auto model = pytorch_shaped_model(9);
  optim::save_weights(dir / "w.npz", *model);
  Generator gen(1);
  auto wider = std::make_shared<nn::Sequential>();
  wider->add(nn::Linear(5, 4, gen)).add(nn::BatchNorm1d(4)).add(nn::SELU()).add(nn::Linear(4, 2, gen));
  const auto before = values(*wider);
  for (bool strict : {true, false}) {
    REQUIRE_THROWS_WITH(optim::load_weights(dir / "w.npz", *wider, {.strict = strict}),
                        Catch::Contains("'0.weight' is [4, 3] float32 in the file and [4, 5] float32 in the model"));
    CHECK(values(*wider) == before);
  }
  // num_batches_tracked as a float in the file, against the model's int64.
  NamedTensors arrays = model->state_dict();
  for (auto& [name, t] : arrays)
    if (name == "1.num_batches_tracked") t = zeros(Shape{}, DType::float32);
  save_npz(dir / "float_count.npz", arrays);
  REQUIRE_THROWS_WITH(optim::load_weights(dir / "float_count.npz", *model, {.strict = false}),
                      Catch::Contains("'1.num_batches_tracked' is [] float32 in the file and [] int64 in the model"));
}

TEST_CASE("load_weights reads a checkpoint's weights, and rejects a malformed scaler without loading") {
  test::TempDir dir;
  auto model = pytorch_shaped_model(10);
  optim::TrainingState state;
  state.extras = optim::scaler_tensors(StandardScaler({1.0, 2.0, 3.0}, {1.0, 1.0, 1.0}));
  optim::save_checkpoint(dir / "ckpt.npz", *model, nullptr, state);
  auto fresh = pytorch_shaped_model(11);
  StandardScaler scaler;
  const optim::LoadReport report = optim::load_weights(dir / "ckpt.npz", *fresh, {.scaler = &scaler});
  CHECK(values(*fresh) == values(*model));
  CHECK(report.unexpected.empty());
  CHECK(scaler.mean() == std::vector<double>{1.0, 2.0, 3.0});

  NamedTensors arrays = model->state_dict();
  arrays.emplace_back("scaler/mean", tensor({1.0, 2.0}, DType::float64));
  arrays.emplace_back("scaler/scale", tensor({1.0, 0.0}, DType::float64));
  save_npz(dir / "bad_scaler.npz", arrays);
  auto target = pytorch_shaped_model(12);
  const auto before = values(*target);
  REQUIRE_THROWS_WITH(optim::load_weights(dir / "bad_scaler.npz", *target, {.scaler = &scaler}),
                      Catch::Contains("'scaler/mean' and 'scaler/scale'") && Catch::Contains("positive scale"));
  REQUIRE_THROWS_WITH(optim::load_weights(dir / "w_missing.npz", *target), Catch::Contains("w_missing.npz"));
  optim::save_weights(dir / "no_scaler.npz", *model);
  REQUIRE_THROWS_WITH(optim::load_weights(dir / "no_scaler.npz", *target, {.scaler = &scaler}),
                      Catch::Contains("scaler_from: 'scaler/mean' is missing"));
  CHECK(values(*target) == before);
  CHECK(scaler.mean() == std::vector<double>{1.0, 2.0, 3.0});
}
