// Internal to ops/: the copy loop that cat, slice and index_select share. Not part of the public API.
//
// Note [Copies along an axis]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Around one axis a row-major tensor is a 3-D array [outer, extent, inner]: `outer` is the product
// of the extents before the axis, `inner` of those after it. Picking, joining or striding along the
// axis moves whole runs of `inner` contiguous elements (or longer runs, when consecutive positions
// along the axis are taken together). So each of these ops is a list of (source offset, destination
// offset) pairs of equal-length runs: the forward copies them, the backward adds them back the other
// way. The kernels are memcpy and a plain add loop on one thread: a copy is bound by memory
// bandwidth, not arithmetic, and a loop with no threads keeps the order of the adds fixed, so the
// repeated indices of index_select accumulate in the same order — and to the same bits — every time.
#pragma once

#include <cstdint>
#include <cstring>

#include "tensor/tensor.h"

namespace tg {

/// A tensor viewed as [outer, extent, inner] around one axis (Note [Copies along an axis]).
struct AxisRuns {
  std::int64_t outer = 1, extent = 1, inner = 1;
};

/// axis must already be in [0, shape.dim()).
inline AxisRuns axis_runs(const Shape& shape, int axis) {
  AxisRuns r;
  for (int k = 0; k < shape.dim(); ++k) (k < axis ? r.outer : k == axis ? r.extent : r.inner) *= shape[k];
  return r;
}

}  // namespace tg

namespace tg::kernels {

/// For r < runs: the `length` elements at src + src_at(r) go to dst + dst_at(r). Offsets and
/// lengths count elements of element_bytes bytes, so one kernel copies float32, float64 and int64.
template <class SrcAt, class DstAt>
void copy_runs(const void* src, SrcAt src_at, void* dst, DstAt dst_at, std::int64_t runs, std::int64_t length,
               std::size_t element_bytes) {
  const auto* from = static_cast<const char*>(src);
  auto* to = static_cast<char*>(dst);
  const std::size_t bytes = static_cast<std::size_t>(length) * element_bytes;
  if (bytes == 0) return;
  for (std::int64_t r = 0; r < runs; ++r)
    std::memcpy(to + static_cast<std::size_t>(dst_at(r)) * element_bytes,
                from + static_cast<std::size_t>(src_at(r)) * element_bytes, bytes);
}

/// For r < runs, in order: dst[dst_at(r) + j] += src[src_at(r) + j] for j < length. The backward
/// of copy_runs with the roles swapped; runs may overlap in dst (repeated indices) and then add up.
template <class T, class SrcAt, class DstAt>
void add_runs(const T* src, SrcAt src_at, T* dst, DstAt dst_at, std::int64_t runs, std::int64_t length) {
  for (std::int64_t r = 0; r < runs; ++r) {
    const T* from = src + src_at(r);
    T* to = dst + dst_at(r);
    for (std::int64_t j = 0; j < length; ++j) to[j] += from[j];
  }
}

}  // namespace tg::kernels

namespace tg {

/// `axis` of x in [0, x.dim()), negative counting from the end; throws naming `op` unless x is a
/// defined tensor with at least one dimension and the axis is in range.
inline int checked_copy_axis(const Tensor& x, int axis, const char* op) {
  check(x.defined(), op, ": the input is undefined");
  check(x.dim() >= 1, op, ": x is ", describe(x), ": a 0-dimensional tensor has no axis");
  check(axis >= -x.dim() && axis < x.dim(), op, ": axis ", axis, " is out of range for ", describe(x));
  return axis < 0 ? axis + x.dim() : axis;
}

/// A new tensor of x's shape and dtype, except `extent` along `axis`.
inline Tensor empty_with_extent(const Tensor& x, int axis, std::int64_t extent) {
  Shape shape = x.shape();
  shape[axis] = extent;
  return empty(shape, x.dtype());
}

/// The forward of a run geometry g — g.runs runs of g.length elements, run r from x[g.src_at(r)]
/// to y[g.dst_at(r)]: copies them.
template <class Runs>
void gather_runs(const Tensor& x, const Tensor& y, const Runs& g) {
  kernels::copy_runs(
      x.raw_data(), [&g](std::int64_t r) { return g.src_at(r); }, y.raw_data(),
      [&g](std::int64_t r) { return g.dst_at(r); }, g.runs, g.length, dtype_size(x.dtype()));
}

/// Its backward: gx[g.src_at(r) + j] += gy[g.dst_at(r) + j], run after run.
template <class Runs>
void scatter_add_runs(const char* op, const Tensor& gy, const Tensor& gx, const Runs& g) {
  dispatch(gx.dtype(), op, [&]<class T>() {
    kernels::add_runs(
        gy.data<T>(), [&g](std::int64_t r) { return g.dst_at(r); }, gx.data<T>(),
        [&g](std::int64_t r) { return g.src_at(r); }, g.runs, g.length);
  });
}

}  // namespace tg
