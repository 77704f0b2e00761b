// Shared by the loss tests (test_cross_entropy, test_nll_loss, test_mse_loss): the reductions and
// their names, the double-precision reduction of per-element losses, and labels to test with.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/loss.h"

namespace tg::test {

inline constexpr Reduction kReductions[] = {Reduction::mean, Reduction::sum, Reduction::none};

inline const char* reduction_name(Reduction r) {
  return r == Reduction::mean ? "mean" : r == Reduction::sum ? "sum" : "none";
}

/// Per-element losses reduced in double: as they are, their sum, or their mean.
inline std::vector<double> reduce_reference(const std::vector<double>& losses, Reduction reduction) {
  if (reduction == Reduction::none) return losses;
  double total = 0;
  for (double l : losses) total += l;
  return {reduction == Reduction::sum ? total : total / static_cast<double>(losses.size())};
}

/// Labels (r·step + first) mod classes for the rows r of a batch.
inline std::vector<std::int64_t> cycling_labels(std::int64_t batch, std::int64_t classes, std::int64_t step,
                                                std::int64_t first) {
  std::vector<std::int64_t> out;
  for (std::int64_t r = 0; r < batch; ++r) out.push_back((r * step + first) % classes);
  return out;
}

}  // namespace tg::test
