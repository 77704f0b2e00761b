// Row kernels shared by softmax.cpp and cross_entropy.cpp: the stable max-shifted log-sum-exp.
// Internal to ops/. Include only from kernel files (it pulls in xsimd); they are instantiated
// inside each file's own kernels (Note [One source, several instruction sets] in tensor/simd.h).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tensor/simd.h"

namespace tg::kernels {

/// Largest element of x[0, n); −∞ when n = 0. (A NaN reaches the result through the sums below.)
template <class Arch, class T>
T row_max(const T* x, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  constexpr std::int64_t W = B::size;
  T m = -std::numeric_limits<T>::infinity();
  std::int64_t i = 0;
  if (n >= W) {
    B acc = B::load_unaligned(x);
    for (i = W; i + W <= n; i += W) acc = xsimd::max(acc, B::load_unaligned(x + i));
    alignas(64) T lanes[W];
    acc.store_aligned(lanes);
    m = *std::max_element(lanes, lanes + W);
  }
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

/// Σ exp(x[i] − shift) over x[0, n); when y is not null, also y[i] = exp(x[i] − shift).
template <class Arch, class T>
T exp_shifted(const T* x, T shift, T* y, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  constexpr std::int64_t W = B::size;
  const B s(shift);
  B acc(T(0));
  std::int64_t i = 0;
  for (; i + W <= n; i += W) {
    const B e = xsimd::exp(B::load_unaligned(x + i) - s);
    if (y) e.store_unaligned(y + i);
    acc += e;
  }
  if (i < n) {  // the tail through the same batch formula; padded lanes add exp(−∞) = 0
    alignas(64) T lanes[W];
    std::fill(lanes, lanes + W, -std::numeric_limits<T>::infinity());
    std::copy(x + i, x + n, lanes);
    const B e = xsimd::exp(B::load_aligned(lanes) - s);
    e.store_aligned(lanes);
    if (y) std::copy(lanes, lanes + (n - i), y + i);
    acc += e;
  }
  return simd::reduce_add(acc);
}

/// log Σ exp(x[i] − m) over x[0, n); with m = row_max(x, n) it cannot overflow, and
/// log Σ exp x = m + the result.
template <class Arch, class T>
T log_sum_exp_shifted(const T* x, T m, std::int64_t n) {
  return std::log(exp_shifted<Arch>(x, m, static_cast<T*>(nullptr), n));
}

}  // namespace tg::kernels
