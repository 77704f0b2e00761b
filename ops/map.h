// Running a raw elementwise kernel over a whole tensor, in parallel chunks: the plumbing every
// unary op file shares, so that each file holds only its formula. Include only from .cpp files.
//
// The kernel is passed as a generic lambda that forwards to a tg::kernels template, e.g.
//   Tensor y = map_unary("exp", x, [](auto... a) { kernels::exp_forward(a...); });
// Chunks start at multiples of 16 (parallel_for), so every thread count puts the same elements
// in SIMD batches and the same ones in the scalar tail: results are bit-identical.
#pragma once

#include <cstdint>

#include "tensor/parallel.h"
#include "tensor/tensor.h"

namespace tg {

/// y = f(x) elementwise: calls kernel(x + b, y + b, e − b) for T = x's dtype on disjoint chunks.
/// `cost` is the rough work per element relative to an add (exp ≈ 8), for the parallel grain.
template <class Kernel>
Tensor map_unary(const char* op, const Tensor& x, Kernel&& kernel, std::int64_t cost = 1) {
  Tensor y = empty_like(x);
  dispatch(x.dtype(), op, [&]<class T>() {
    const T* in = x.data<T>();
    T* out = y.data<T>();
    parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) { kernel(in + b, out + b, e - b); }, cost);
  });
  return y;
}

/// gx += f(saved, gy) elementwise: calls kernel(saved + b, gy + b, gx + b, e − b) on disjoint chunks.
template <class Kernel>
void map_backward(const char* op, const Tensor& saved, const Tensor& gy, const Tensor& gx, Kernel&& kernel,
                  std::int64_t cost = 1) {
  dispatch(saved.dtype(), op, [&]<class T>() {
    const T* s = saved.data<T>();
    const T* g = gy.data<T>();
    T* out = gx.data<T>();
    parallel_for(saved.numel(), [&](std::int64_t b, std::int64_t e) { kernel(s + b, g + b, out + b, e - b); }, cost);
  });
}

}  // namespace tg
