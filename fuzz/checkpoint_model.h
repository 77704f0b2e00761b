// The model, optimizer and schedule that fuzz_checkpoint loads into and make_seeds saves from, and
// the structured form of a checkpoint that lets the fuzzer change names, shapes and values behind
// valid CRCs.
//
// Structured form (what fuzz_checkpoint reads after its first byte, when that byte is odd): a
// sequence of arrays, each  [name length: 1 byte][name][dtype: 1 byte, mod 3][rank: 1 byte, mod 4]
// [rank extents: 1 byte each][the data: numel·size bytes, zero-padded where the input runs out].
// It is written with save_npz, so load_checkpoint sees a well-formed archive and the fuzzer
// exercises what a checkpoint means rather than ZIP checksums (fuzz_npz covers those).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "optim/adam.h"
#include "optim/scheduler.h"
#include "optim/sgd.h"
#include "tensor/npz.h"
#include "tensor/random.h"

namespace tg::fuzz {

/// Linear → BatchNorm1d → SELU → AlphaDropout → Linear: parameters, buffers and a generator.
inline std::shared_ptr<nn::Sequential> checkpoint_model() {
  Generator gen(1);
  auto model = std::make_shared<nn::Sequential>();
  model->add(std::make_shared<nn::Linear>(3, 4, gen))
      .add(std::make_shared<nn::BatchNorm1d>(4))
      .add(std::make_shared<nn::SELU>())
      .add(std::make_shared<nn::AlphaDropout>(0.2, 2))
      .add(std::make_shared<nn::Linear>(4, 2, gen));
  return model;
}

/// SGD with momentum (bit 1 of `choice` clear) or Adam, so that there is per-parameter state.
inline std::unique_ptr<optim::Optimizer> checkpoint_optimizer(nn::Module& model, int choice) {
  if (choice & 2) return std::make_unique<optim::Adam>(model.parameters(), optim::AdamOptions{.lr = 0.01});
  return std::make_unique<optim::SGD>(model.parameters(), optim::SGDOptions{.lr = 0.05, .momentum = 0.9});
}

inline NamedTensors decode_arrays(const std::uint8_t* data, std::size_t size) {
  NamedTensors arrays;
  std::size_t at = 0;
  auto next = [&]() -> std::uint8_t { return at < size ? data[at++] : 0; };
  while (at < size && arrays.size() < 64) {
    const std::size_t name_length = next();
    std::string name;
    for (std::size_t i = 0; i < name_length && at < size; ++i) name.push_back(static_cast<char>(next()));
    const auto dtype = static_cast<DType>(next() % 3);
    std::vector<std::int64_t> dims(next() % 4);
    for (auto& d : dims) d = next() % 17;
    Tensor t = zeros(Shape(std::span<const std::int64_t>(dims)), dtype);
    const std::size_t bytes = static_cast<std::size_t>(t.numel()) * dtype_size(dtype);
    const std::size_t available = at < size ? std::min(bytes, size - at) : 0;
    if (available) std::memcpy(t.raw_data(), data + at, available);
    at += available;
    arrays.emplace_back(std::move(name), t);
  }
  return arrays;
}

/// The inverse of decode_arrays, for seeds; arrays that do not fit its limits are left out.
inline std::string encode_arrays(const NamedTensors& arrays) {
  std::string out;
  for (const auto& [name, t] : arrays) {
    if (name.size() > 255 || t.dim() > 3) continue;
    bool fits = true;
    for (int i = 0; i < t.dim(); ++i) fits = fits && t.size(i) <= 16;
    if (!fits) continue;
    out.push_back(static_cast<char>(name.size()));
    out += name;
    out.push_back(static_cast<char>(t.dtype()));
    out.push_back(static_cast<char>(t.dim()));
    for (int i = 0; i < t.dim(); ++i) out.push_back(static_cast<char>(t.size(i)));
    out.append(static_cast<const char*>(t.raw_data()), static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()));
  }
  return out;
}

}  // namespace tg::fuzz
