// save_checkpoint / load_checkpoint; see Note [Checkpoint contents] in checkpoint.h.
#include "train/checkpoint.h"

#include <bit>
#include <cstring>
#include <map>
#include <set>

#include "tensor/npz.h"

namespace tg::optim {
namespace {

constexpr std::string_view kOptimizerPrefix = "optimizer/", kSchedulerPrefix = "scheduler/", kRngPrefix = "state/rng/",
                           kMetricPrefix = "state/metric/";

// int64 in the file; uint64 values (seeds, offsets) keep their bits.
Tensor int64_scalar(std::uint64_t bits) { return detail::int64_scalar(std::bit_cast<std::int64_t>(bits)); }
std::uint64_t int64_value(const Tensor& t, int i = 0) {
  return std::bit_cast<std::uint64_t>(t.data<std::int64_t>()[i]);
}
using detail::float64_scalar;

Tensor generator_state(const Generator& g) {
  Tensor t = empty({2}, DType::int64);
  t.data<std::int64_t>()[0] = std::bit_cast<std::int64_t>(g.seed());
  t.data<std::int64_t>()[1] = std::bit_cast<std::int64_t>(g.offset());
  return t;
}
Generator generator_from(const Tensor& t) { return Generator(int64_value(t, 0), int64_value(t, 1)); }

// The entries of `arrays` under `prefix`, with the prefix removed; marks them used.
NamedTensors under(const NamedTensors& arrays, std::string_view prefix, std::set<std::string>& used) {
  NamedTensors out;
  for (const auto& [name, t] : arrays)
    if (name.starts_with(prefix) && used.insert(name).second) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

// Loads both states or, if either rejects its state, neither (each load_state is all or nothing).
void load_optimizer_and_schedule(const std::string& where, Optimizer* optimizer, const NamedTensors& optimizer_state,
                                 LRScheduler* scheduler, const NamedTensors& scheduler_state) {
  const NamedTensors previous_schedule = scheduler ? scheduler->state() : NamedTensors{};
  try {
    if (scheduler) scheduler->load_state(scheduler_state);
    if (optimizer) optimizer->load_state(optimizer_state);
  } catch (const Error& e) {
    if (scheduler) scheduler->load_state(previous_schedule);
    throw Error(where + e.what());
  }
}

}  // namespace

bool is_extra_name(std::string_view name) {
  const std::size_t slash = name.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == name.size()) return false;
  const std::string_view prefix = name.substr(0, slash);
  for (std::string_view own : {"meta", "model", "buffer", "generator", "optimizer", "scheduler", "state"})
    if (prefix == own) return false;
  return true;
}

void save_checkpoint(const std::string& path, const nn::Module& model, const Optimizer* optimizer,
                     const TrainingState& state, const LRScheduler* scheduler) {
  NamedTensors arrays;
  arrays.emplace_back("meta/format", int64_scalar(kCheckpointFormat));
  for (const auto& [name, t] : model.named_parameters()) arrays.emplace_back("model/" + name, t);
  for (const auto& [name, t] : model.named_buffers()) arrays.emplace_back("buffer/" + name, t);
  for (const auto& [name, g] : model.named_generators()) arrays.emplace_back("generator/" + name, generator_state(*g));
  if (optimizer)
    for (const auto& [name, t] : optimizer->state()) arrays.emplace_back(cat(kOptimizerPrefix, name), t);
  if (scheduler)
    for (const auto& [name, t] : scheduler->state()) arrays.emplace_back(cat(kSchedulerPrefix, name), t);
  arrays.emplace_back("state/epoch", int64_scalar(static_cast<std::uint64_t>(state.epoch)));
  arrays.emplace_back("state/step", int64_scalar(static_cast<std::uint64_t>(state.step)));
  arrays.emplace_back("state/seed", int64_scalar(state.seed));
  for (const auto& [name, g] : state.generators) arrays.emplace_back(cat(kRngPrefix, name), generator_state(g));
  for (const auto& [name, value] : state.metrics) arrays.emplace_back(cat(kMetricPrefix, name), float64_scalar(value));
  for (const auto& [name, t] : state.extras) {
    check(is_extra_name(name), "save_checkpoint: ", path, ": extra array '", name,
          "' needs a name '<prefix>/<name>' whose prefix is not one of the checkpoint's own");
    arrays.emplace_back(name, t);
  }
  save_npz(path, arrays);  // rejects duplicate names
}

TrainingState load_checkpoint(const std::string& path, nn::Module& model, Optimizer* optimizer,
                              LRScheduler* scheduler) {
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
    else if (is_extra_name(name) && used.insert(name).second)
      state.extras.emplace_back(name, t);
  }

  NamedTensors optimizer_state, scheduler_state;
  if (optimizer) {
    optimizer_state = under(arrays, kOptimizerPrefix, used);
    check(!optimizer_state.empty(), where, "the file holds no optimizer state (no 'optimizer/' arrays); ",
          "pass a null optimizer to load the model only");
  }
  if (scheduler) {
    scheduler_state = under(arrays, kSchedulerPrefix, used);
    check(!scheduler_state.empty(), where, "the file holds no schedule state (no 'scheduler/' arrays); ",
          "pass a null scheduler to load without one");
  }
  for (const auto& [name, t] : arrays)
    check(used.count(name) || (!optimizer && name.starts_with(kOptimizerPrefix)) ||
              (!scheduler && name.starts_with(kSchedulerPrefix)),
          where, "unexpected array '", name, "' (", describe(t), "): nothing in this model or training state reads it");

  // ---- 2. the optimizer's and schedule's own checks are the last that can fail ----
  load_optimizer_and_schedule(where, optimizer, optimizer_state, scheduler, scheduler_state);

  // ---- 3. copy into the existing storage (Note [Parameters are handles]) ----
  for (const auto& [target, value] : copies)
    if (const std::size_t bytes = target.numel() * dtype_size(target.dtype()))
      std::memcpy(target.raw_data(), value.raw_data(), bytes);
  for (auto& [target, value] : generators) *target = value;
  return state;
}

}  // namespace tg::optim
