// save_checkpoint / load_checkpoint; see Note [Checkpoint contents] in checkpoint.h.
#include "train/checkpoint.h"

#include <bit>
#include <cstring>
#include <map>
#include <set>

#include "tensor/npz.h"

namespace tg::optim {
namespace {

constexpr std::string_view kOptimizerPrefix = "optimizer/", kRngPrefix = "state/rng/", kMetricPrefix = "state/metric/";

// int64 in the file; uint64 values (seeds, offsets) keep their bits.
Tensor int64_scalar(std::uint64_t bits) {
  Tensor t = empty(Shape{}, DType::int64);
  *t.data<std::int64_t>() = std::bit_cast<std::int64_t>(bits);
  return t;
}
std::uint64_t int64_value(const Tensor& t, int i = 0) {
  return std::bit_cast<std::uint64_t>(t.data<std::int64_t>()[i]);
}

Tensor float64_scalar(double value) {
  Tensor t = empty(Shape{}, DType::float64);
  *t.data<double>() = value;
  return t;
}

Tensor generator_state(const Generator& g) {
  Tensor t = empty({2}, DType::int64);
  t.data<std::int64_t>()[0] = std::bit_cast<std::int64_t>(g.seed());
  t.data<std::int64_t>()[1] = std::bit_cast<std::int64_t>(g.offset());
  return t;
}
Generator generator_from(const Tensor& t) { return Generator(int64_value(t, 0), int64_value(t, 1)); }

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const Optimizer* optimizer,
                     const TrainingState& state) {
  NamedTensors arrays;
  arrays.emplace_back("meta/format", int64_scalar(kCheckpointFormat));
  for (const auto& [name, t] : model.named_parameters()) arrays.emplace_back("model/" + name, t);
  for (const auto& [name, t] : model.named_buffers()) arrays.emplace_back("buffer/" + name, t);
  for (const auto& [name, g] : model.named_generators()) arrays.emplace_back("generator/" + name, generator_state(*g));
  if (optimizer) {
    arrays.emplace_back("optimizer/lr", float64_scalar(optimizer->lr()));
    for (const auto& [name, t] : optimizer->state()) {
      check(name != "lr", "save_checkpoint: ", path, ": optimizer state may not be called 'lr'");
      arrays.emplace_back(cat(kOptimizerPrefix, name), t);
    }
  }
  arrays.emplace_back("state/epoch", int64_scalar(static_cast<std::uint64_t>(state.epoch)));
  arrays.emplace_back("state/step", int64_scalar(static_cast<std::uint64_t>(state.step)));
  arrays.emplace_back("state/seed", int64_scalar(state.seed));
  for (const auto& [name, g] : state.generators) arrays.emplace_back(cat(kRngPrefix, name), generator_state(g));
  for (const auto& [name, value] : state.metrics) arrays.emplace_back(cat(kMetricPrefix, name), float64_scalar(value));
  save_npz(path, arrays);
}

TrainingState load_checkpoint(const std::string& path, nn::Module& model, Optimizer* optimizer) {
  const std::string where = cat("load_checkpoint: ", path, ": ");
  const NamedTensors arrays = load_npz(path);  // checks the CRCs; rejects duplicate names
  std::map<std::string, Tensor> file(arrays.begin(), arrays.end());
  std::set<std::string> used;
  // The array `name`, which must be `shape` `dtype`.
  auto take = [&](const std::string& name, const Shape& shape, DType dtype) -> Tensor {
    const auto it = file.find(name);
    check(it != file.end(), where, "'", name, "' is missing");
    check(it->second.shape() == shape && it->second.dtype() == dtype, where, "'", name, "' is ", describe(it->second),
          " in the file, expected ", shape, " ", dtype_name(dtype));
    used.insert(name);
    return it->second;
  };

  // ---- 1. validate everything, touching nothing ----
  check(file.count("meta/format"), where, "not a tapegrad checkpoint (no 'meta/format' array)");
  const std::uint64_t format = int64_value(take("meta/format", {}, DType::int64));
  check(format == kCheckpointFormat, where, "checkpoint format ", format, " is not supported (this build reads ",
        kCheckpointFormat, ")");

  std::vector<std::pair<Tensor, Tensor>> copies;  // (model tensor, its validated value)
  for (const auto& [name, p] : model.named_parameters())
    copies.emplace_back(p, take("model/" + name, p.shape(), p.dtype()));
  for (const auto& [name, b] : model.named_buffers())
    copies.emplace_back(b, take("buffer/" + name, b.shape(), b.dtype()));
  std::vector<std::pair<Generator*, Generator>> generators;
  for (const auto& [name, g] : model.named_generators())
    generators.emplace_back(g, generator_from(take("generator/" + name, {2}, DType::int64)));

  TrainingState state;
  state.epoch = static_cast<std::int64_t>(int64_value(take("state/epoch", {}, DType::int64)));
  state.step = static_cast<std::int64_t>(int64_value(take("state/step", {}, DType::int64)));
  state.seed = int64_value(take("state/seed", {}, DType::int64));
  for (const auto& [name, t] : arrays) {
    if (name.starts_with(kRngPrefix))
      state.generators.emplace_back(name.substr(kRngPrefix.size()), generator_from(take(name, {2}, DType::int64)));
    else if (name.starts_with(kMetricPrefix))
      state.metrics.emplace_back(name.substr(kMetricPrefix.size()), *take(name, {}, DType::float64).data<double>());
  }

  double lr = 0;
  NamedTensors optimizer_state;
  if (optimizer) {
    check(file.count("optimizer/lr"), where, "the file holds no optimizer state ('optimizer/lr' is missing); ",
          "pass a null optimizer to load the model only");
    lr = *take("optimizer/lr", {}, DType::float64).data<double>();
    for (const auto& [name, t] : arrays)
      if (name.starts_with(kOptimizerPrefix) && used.insert(name).second)
        optimizer_state.emplace_back(name.substr(kOptimizerPrefix.size()), t);
  }
  for (const auto& [name, t] : arrays)
    check(used.count(name) || (!optimizer && name.starts_with(kOptimizerPrefix)), where, "unexpected array '", name,
          "' (", describe(t), "): nothing in this model or training state reads it");

  // ---- 2. the optimizer's own checks are the last that can fail; undo its state if they do ----
  if (optimizer) {
    const NamedTensors previous = optimizer->state();
    try {
      optimizer->load_state(optimizer_state);
    } catch (const Error& e) {
      optimizer->load_state(previous);
      throw Error(where + e.what());
    }
    optimizer->set_lr(lr);
  }

  // ---- 3. copy into the existing storage (Note [Parameters are handles]) ----
  for (const auto& [target, value] : copies)
    if (const std::size_t bytes = target.numel() * dtype_size(target.dtype()))
      std::memcpy(target.raw_data(), value.raw_data(), bytes);
  for (auto& [target, value] : generators) *target = value;
  return state;
}

}  // namespace tg::optim
