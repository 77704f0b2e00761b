// Internal to ops/: what batch_norm.cpp and layer_norm.cpp share — optional per-feature arrays
// (γ, β) and the check that they fit.
#pragma once

#include <cstdint>

#include "tensor/simd.h"
#include "tensor/tensor.h"

namespace tg {

/// Feature j of an optional per-feature array (null stays null).
template <class T>
T* column(T* p, std::int64_t j) {
  return p ? p + j : nullptr;
}
template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

/// Unless t is undefined (absent), checks that it is [features] with x's dtype; errors name `op`,
/// x and the argument.
inline void check_per_feature(const char* op, const Tensor& x, std::int64_t features, const Tensor& t,
                              const char* name) {
  if (!t.defined()) return;
  check(t.shape() == Shape{features}, op, ": x is ", x.shape(), ", ", name, " is ", t.shape(), ": expected [", features,
        "]");
  check(t.dtype() == x.dtype(), op, ": x is ", describe(x), ", ", name, " is ", describe(t), ": dtypes differ");
}

namespace kernels {
template <class T> inline constexpr T kOne = T(1);
template <class T> inline constexpr T kZero = T(0);

/// An optional per-feature array as a SIMD source: the array, or `fallback` in every lane when it
/// is absent (γ absent is 1, β absent is 0).
template <class T>
simd::Strided<T> optional_source(const T* p, const T& fallback) {
  return p ? simd::Strided<T>{p, 1} : simd::Strided<T>{&fallback, 0};
}
}  // namespace kernels

}  // namespace tg
