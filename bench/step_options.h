// The training step that train_step and libtorch_step time, and the command-line options giving
// its shape (bench/compare_pytorch.py passes the same to both, and its PyTorch worker builds the
// same network). C++17, like measure.h, for libtorch_step.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>

namespace tg::bench {

/// depth × (Linear width + SELU), then Linear → classes, on one fixed batch of in_features.
struct StepShape {
  std::int64_t depth = 8, width = 784, batch = 128, in_features = 784, classes = 10;
  int steps = 30, warmup = 3;  // timed steps, after the untimed warm-up steps
};

inline void add_step_options(CLI::App& app, StepShape& s) {
  app.add_option("--depth", s.depth, "hidden Linear+SELU layers")->check(CLI::PositiveNumber);
  app.add_option("--width", s.width, "hidden units per layer")->check(CLI::PositiveNumber);
  app.add_option("--batch", s.batch, "examples per step")->check(CLI::PositiveNumber);
  app.add_option("--in-features", s.in_features, "input features")->check(CLI::PositiveNumber);
  app.add_option("--classes", s.classes, "output classes")->check(CLI::PositiveNumber);
  app.add_option("--steps", s.steps, "timed steps")->check(CLI::PositiveNumber);
  app.add_option("--warmup", s.warmup, "untimed steps first")->check(CLI::NonNegativeNumber);
}

}  // namespace tg::bench
