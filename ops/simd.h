// Small xsimd helpers shared by kernel files. Include only from .cpp files: xsimd's batch
// width depends on the -mavx2 -mfma flags the library's sources are compiled with.
#pragma once

#include <xsimd/xsimd.hpp>

namespace tg::simd {

/// Horizontal sum of a batch: hadd in xsimd 8 (renamed reduce_add in xsimd 9).
template <class B>
auto reduce_add(const B& b) {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(b);
#else
  return xsimd::hadd(b);
#endif
}

/// Number of lanes of T in the batches this build uses.
template <class T>
inline constexpr std::size_t kLanes = xsimd::batch<T>::size;

}  // namespace tg::simd
