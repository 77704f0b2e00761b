// Ops that rearrange elements without arithmetic: joining tensors, slicing and picking positions
// along an axis. Each result is a new contiguous tensor; every op works on any dtype (int64 labels
// too) and passes gradients back to float inputs. Axes may be negative (−1 is the last).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

/// Joins tensors along an existing axis, like torch::cat: all share dtype, rank and every extent
/// but `axis`'s; y's extent there is Σ of theirs. gx_i is gy's block of x_i.
Tensor cat(const std::vector<Tensor>& tensors, int axis = 0);
/// Joins tensors of one shape along a new axis at `axis` (−rank−1 ≤ axis ≤ rank), like torch::stack:
/// y[.., i, ..] = tensors[i]. Composed from reshape and cat.
Tensor stack(const std::vector<Tensor>& tensors, int axis = 0);
/// x[begin:end:step] along `axis`, as Python slices it: negative bounds count from the end, bounds
/// are clamped to the axis, step ≥ 1. gx gets gy at the positions taken, zero elsewhere.
Tensor slice(const Tensor& x, int axis, std::int64_t begin, std::int64_t end, std::int64_t step = 1);
/// y[.., k, ..] = x[.., indices[k], ..] for a 1-D int64 `indices` with values in [0, extent);
/// repeats allowed, and their gradients add up (gx[indices[k]] += gy[k]).
Tensor index_select(const Tensor& x, int axis, const Tensor& indices);
Tensor index_select(const Tensor& x, int axis, const std::vector<std::int64_t>& indices);
Tensor index_select(const Tensor& x, int axis, std::initializer_list<std::int64_t> indices);  ///< {2, 0, 2}

}  // namespace tg
