// Reference for ops that pick positions along one axis (slice, index_select), in double.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace tg::test {

/// x viewed as [outer, len, inner]: for each o, the rows x[o, p, :] for p in `positions`, in order.
inline std::vector<double> pick_reference(const Tensor& x, std::int64_t outer, std::int64_t len, std::int64_t inner,
                                          const std::vector<std::int64_t>& positions) {
  const std::vector<double> v = x.to_vector();
  std::vector<double> out;
  for (std::int64_t o = 0; o < outer; ++o)
    for (std::int64_t p : positions)
      for (std::int64_t j = 0; j < inner; ++j) out.push_back(v[(o * len + p) * inner + j]);
  return out;
}

}  // namespace tg::test
