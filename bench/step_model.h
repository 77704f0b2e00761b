// The network of the training-step benchmarks (train_step, dist_step): depth × (Linear + SELU),
// then Linear → classes, weights drawn from `gen` in layer order. libtorch_step builds the same
// network with libtorch's modules (it cannot include tapegrad).
#pragma once

#include <cstdint>
#include <memory>

#include "bench/step_options.h"
#include "tapegrad.h"

namespace tg::bench {

inline nn::Sequential step_model(const StepShape& shape, Generator& gen) {
  nn::Sequential model;
  for (std::int64_t i = 0, fan_in = shape.in_features; i < shape.depth; ++i, fan_in = shape.width) {
    model.add(std::make_shared<nn::Linear>(fan_in, shape.width, gen));
    model.add(std::make_shared<nn::SELU>());
  }
  model.add(std::make_shared<nn::Linear>(shape.width, shape.classes, gen));
  return model;
}

}  // namespace tg::bench
