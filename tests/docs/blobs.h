// The data set of the docs' compiled snippets (docs/training.md, docs/distributed.md,
// docs/for-pytorch-users.md): three Gaussian blobs in 4 dimensions, class i % 3 shifted by +3
// along axis i % 3, so a small network separates them in a few epochs.
#pragma once

#include <cstdint>
#include <vector>

#include "datasets/dataset.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace tg::test {

inline Dataset blobs(std::int64_t n, std::uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({n, 4}, gen);
  std::vector<std::int64_t> y;
  for (std::int64_t i = 0; i < n; ++i) {
    y.push_back(i % 3);
    x.set({i, i % 3}, x.at({i, i % 3}) + 3.0);
  }
  return {x, labels(y)};
}

}  // namespace tg::test
