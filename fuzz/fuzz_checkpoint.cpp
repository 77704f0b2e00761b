// load_checkpoint with an optimizer and a schedule (train/checkpoint.h). Its contract is checked
// as well as its errors: a load either succeeds or throws tg::Error and changes nothing — model
// parameters, buffers, generators, optimizer state and learning rate, schedule counters.
// First byte: bit 0 set → the rest is the structured form of checkpoint_model.h (valid archives
// with fuzzed names, shapes and values), clear → the rest is the .npz file's bytes; bit 1 picks
// Adam instead of SGD with momentum.
#include <cstring>

#include "fuzz/checkpoint_model.h"
#include "fuzz/fuzz_input.h"
#include "train/checkpoint.h"

namespace {

std::string snapshot(const tg::nn::Module& model, const tg::optim::Optimizer& optimizer,
                     const tg::optim::LRScheduler& scheduler) {
  std::string s;
  auto add = [&](const tg::NamedTensors& arrays) {
    for (const auto& [name, t] : arrays) {
      s += name;
      s.push_back('\0');
      s.append(static_cast<const char*>(t.raw_data()), static_cast<std::size_t>(t.numel()) * tg::dtype_size(t.dtype()));
    }
  };
  add(model.named_parameters());
  add(model.named_buffers());
  for (const auto& [name, g] : model.named_generators()) s += name + std::to_string(g->seed()) + ":" + std::to_string(g->offset());
  add(optimizer.state());
  s += std::to_string(optimizer.lr());
  add(scheduler.state());
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int choice = data[0];
  const std::string path = tg::fuzz::scratch_path(".npz");
  try {
    if (choice & 1)
      tg::save_npz(path, tg::fuzz::decode_arrays(data + 1, size - 1));
    else
      tg::fuzz::write_file(path, data + 1, size - 1);
  } catch (const tg::Error&) {
    return 0;  // save_npz refused the decoded arrays (duplicate or empty names): nothing to load
  }
  auto model = tg::fuzz::checkpoint_model();
  auto optimizer = tg::fuzz::checkpoint_optimizer(*model, choice);
  tg::optim::StepLR scheduler(*optimizer, 3, 0.5);
  const std::string before = snapshot(*model, *optimizer, scheduler);
  bool failed = false;
  tg::fuzz::expect_error_or_success([&] {
    try {
      tg::optim::load_checkpoint(path, *model, optimizer.get(), &scheduler);
    } catch (const tg::Error&) {
      failed = true;
      throw;
    }
  });
  if (failed && snapshot(*model, *optimizer, scheduler) != before) {
    std::fprintf(stderr, "fuzz: load_checkpoint threw tg::Error but changed the model, optimizer or schedule\n");
    std::abort();
  }
  return 0;
}
