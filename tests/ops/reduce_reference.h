// Double-precision reference for reductions over axes, shared by test_sum, test_var and test_max.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace tg::test {

/// For each output element of a reduction of x over `axes` (row-major, reduced axes removed), the
/// values of x that reduce into it, in increasing flat index — that is, in order along the axes.
inline std::vector<std::vector<double>> reduction_groups(const Tensor& x, std::vector<int> axes) {
  const int dim = x.dim();
  for (int& a : axes) a = a < 0 ? a + dim : a;
  std::int64_t out_numel = 1;
  for (int a = 0; a < dim; ++a)
    if (std::find(axes.begin(), axes.end(), a) == axes.end()) out_numel *= x.size(a);
  std::vector<std::vector<double>> groups(static_cast<std::size_t>(out_numel));
  const std::vector<double> v = x.to_vector();
  std::vector<std::int64_t> index(dim, 0);
  for (std::size_t flat = 0; flat < v.size(); ++flat) {
    std::int64_t out = 0;
    for (int a = 0; a < dim; ++a)
      if (std::find(axes.begin(), axes.end(), a) == axes.end()) out = out * x.size(a) + index[a];
    groups[out].push_back(v[flat]);
    for (int a = dim - 1; a >= 0; --a) {  // odometer increment
      if (++index[a] < x.size(a)) break;
      index[a] = 0;
    }
  }
  return groups;
}

/// The shape of a reduction of `shape` over `axes`.
inline Shape reduced_shape(const Shape& shape, std::vector<int> axes, bool keepdim) {
  for (int& a : axes) a = a < 0 ? a + shape.dim() : a;
  Shape out;
  for (int a = 0; a < shape.dim(); ++a) {
    const bool reduced = std::find(axes.begin(), axes.end(), a) != axes.end();
    if (!reduced || keepdim) out.push_back(reduced ? 1 : shape[a]);
  }
  return out;
}

}  // namespace tg::test
