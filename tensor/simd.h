// The kernel toolkit: xsimd batches for one instruction set, the one elementwise loop, and the
// dispatch from a runtime instruction set to a compile-time one. Include only from .cpp files
// that hold kernels (ops/, tensor/random.cpp): it pulls in xsimd.
//
// Note [One source, several instruction sets]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// The CPU changes from machine to machine (AVX2 only, or AVX-512 too), and one build must run
// on all of them at full width, as PyTorch's CPU_CAPABILITY kernels and OpenBLAS's DYNAMIC_ARCH
// do. So every kernel is a template over xsimd's architecture tag,
//     template <class Arch, class T> void selu_forward(const T* x, T* y, std::int64_t n);
// and every file that holds kernels is compiled more than once (ops/CMakeLists.txt):
//   - the *op pass*, with the x86-64 baseline flags: the whole file — kernels instantiated for
//     sse2, and the differentiable functions (`#if TG_OP_PASS`), which pick an instruction set
//     at run time with with_isa();
//   - one *kernel pass* per wider instruction set (-mavx2 -mfma; -mavx512f -mavx512bw ...):
//     the kernels only, instantiated for that architecture.
// TG_KERNEL(name) after a kernel's definition ties the passes together: in a kernel pass it is
// an explicit instantiation (float and double) for that pass's architecture; in the op pass, an
// instantiation for sse2 plus `extern template` declarations for the others, so the op pass
// never compiles a wide instruction — it calls the instantiation the kernel pass made. Nothing
// runs an instruction the CPU lacks: the op pass, where the choice is made, is baseline code.
// Kernels must be plain (non-inline, non-constexpr) function templates with an explicit return
// type, for `extern template` to hold them back.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "tensor/isa.h"

// ---- which pass is this? ----
// CMake defines TG_KERNEL_PASS_AVX2 or TG_KERNEL_PASS_AVX512 in kernel passes, and
// TG_COMPILE_AVX2 / TG_COMPILE_AVX512 (0 or 1) everywhere in the library.
#if defined(TG_KERNEL_PASS_AVX2) || defined(TG_KERNEL_PASS_AVX512)
#define TG_OP_PASS 0
#else
#define TG_OP_PASS 1
#endif

namespace tg::simd {

#if defined(__x86_64__) || defined(_M_X64)
using Sse2 = xsimd::sse2;
#else
using Sse2 = xsimd::default_arch;  // not x86: the baseline is whatever xsimd targets by default
#endif
using Avx2 = xsimd::fma3<xsimd::avx2>;
using Avx512 = xsimd::avx512bw;  // F + CD + DQ + BW (+ VL through the compiler flags)

/// A batch of T for architecture Arch: 4/8/16 floats for sse2/avx2/avx512.
template <class T, class Arch>
using Batch = xsimd::batch<T, Arch>;

/// Lanes of T per batch for Arch.
template <class T, class Arch>
inline constexpr std::int64_t kLanes = static_cast<std::int64_t>(Batch<T, Arch>::size);

/// Calls fn.template operator()<Arch>() for the architecture of active_isa(). Op code only: it
/// names every architecture, so it must not appear in a kernel pass.
template <class Fn>
decltype(auto) with_isa(Fn&& fn) {
  const Isa isa = active_isa();
#if TG_COMPILE_AVX512
  if (isa == Isa::avx512) return fn.template operator()<Avx512>();
#endif
#if TG_COMPILE_AVX2
  if (isa == Isa::avx2) return fn.template operator()<Avx2>();
#endif
  (void)isa;
  return fn.template operator()<Sse2>();
}

/// Horizontal sum of a batch: hadd in xsimd 8 (renamed reduce_add in xsimd 9).
template <class B>
auto reduce_add(const B& b) {
#if XSIMD_VERSION_MAJOR >= 9
  return xsimd::reduce_add(b);
#else
  return xsimd::hadd(b);
#endif
}

// ---- the one elementwise loop ----

/// A source that repeats one value in every lane (a broadcast scalar).
template <class T>
struct Repeat {
  T value;
};
/// A source that is either an array (stride 1) or one repeated element (stride 0): an operand
/// that broadcasting may have stretched.
template <class T>
struct Strided {
  const T* data;
  std::int64_t stride;  // 0 or 1
};

namespace detail {
template <class B, class T>
B load(const T* p, std::int64_t i) {
  return B::load_unaligned(p + i);
}
template <class B, class T>
B load(const Repeat<T>& r, std::int64_t) {
  return B(r.value);
}
template <class B, class T>
B load(const Strided<T>& s, std::int64_t i) {
  return s.stride ? B::load_unaligned(s.data + i) : B(*s.data);
}

// The tail's `count` < lanes elements, zero-padded to a full batch.
template <class B, class T>
B load_tail(const T* p, std::int64_t i, std::int64_t count) {
  alignas(64) T lanes[B::size] = {};
  std::copy(p + i, p + i + count, lanes);
  return B::load_aligned(lanes);
}
template <class B, class T>
B load_tail(const Repeat<T>& r, std::int64_t, std::int64_t) {
  return B(r.value);
}
template <class B, class T>
B load_tail(const Strided<T>& s, std::int64_t i, std::int64_t count) {
  return s.stride ? load_tail<B>(s.data, i, count) : B(*s.data);
}
}  // namespace detail

/// out[i] = f(in[i]...) for i < n, where f takes and returns Batch<T, Arch>. Sources are arrays
/// (const T*), Repeat or Strided. The last n mod lanes elements go through the same f on a
/// zero-padded batch — so the tail's formula is the same code by construction, and an element's
/// result does not depend on where a thread's range or the tail begins. `out` may be one of the
/// sources (gx = f(..., gx) accumulates).
template <class Arch, class F, class T, class... Sources>
void map(std::int64_t n, F&& f, T* out, const Sources&... in) {
  using B = Batch<T, Arch>;
  constexpr std::int64_t W = B::size;
  std::int64_t i = 0;
  for (; i + W <= n; i += W) f(detail::load<B>(in, i)...).store_unaligned(out + i);
  if (i < n) {
    alignas(64) T lanes[W];
    f(detail::load_tail<B>(in, i, n - i)...).store_aligned(lanes);
    std::copy(lanes, lanes + (n - i), out + i);
  }
}

/// The same with two outputs: (out0[i], out1[i]) = f(in[i]...), f returning a std::pair of
/// batches — for updates that write two arrays in one pass (SGD's parameter and momentum buffer).
template <class Arch, class F, class T, class... Sources>
void map2(std::int64_t n, F&& f, T* out0, T* out1, const Sources&... in) {
  using B = Batch<T, Arch>;
  constexpr std::int64_t W = B::size;
  std::int64_t i = 0;
  for (; i + W <= n; i += W) {
    const auto [a, b] = f(detail::load<B>(in, i)...);
    a.store_unaligned(out0 + i);
    b.store_unaligned(out1 + i);
  }
  if (i < n) {
    alignas(64) T lanes0[W], lanes1[W];
    const auto [a, b] = f(detail::load_tail<B>(in, i, n - i)...);
    a.store_aligned(lanes0);
    b.store_aligned(lanes1);
    std::copy(lanes0, lanes0 + (n - i), out0 + i);
    std::copy(lanes1, lanes1 + (n - i), out1 + i);
  }
}

/// Σ f(in[i]...) over i < n, in T: full batches into one batch accumulator, then the tail (f on a
/// zero-padded batch, with the padding lanes zeroed after f), then one horizontal sum. An order
/// fixed by n alone.
template <class Arch, class T, class F, class... Sources>
T sum_map(std::int64_t n, F&& f, const Sources&... in) {
  using B = Batch<T, Arch>;
  constexpr std::int64_t W = B::size;
  B acc(T(0));
  std::int64_t i = 0;
  for (; i + W <= n; i += W) acc += f(detail::load<B>(in, i)...);
  if (i < n) {
    alignas(64) T lane[W];
    for (std::int64_t k = 0; k < W; ++k) lane[k] = static_cast<T>(k);
    const B keep = xsimd::select(B::load_aligned(lane) < B(static_cast<T>(n - i)), B(T(1)), B(T(0)));
    acc += f(detail::load_tail<B>(in, i, n - i)...) * keep;
  }
  return reduce_add(acc);
}

}  // namespace tg::simd

// ---- TG_KERNEL: instantiate a kernel for this pass (Note [One source, several instruction sets]) ----
// TG_KERNEL(name) for `template <class Arch, class T> ... name(...)`, T = float and double;
// TG_KERNEL(name, Extra) for `template <class Arch, class Extra, class T> ... name(...)`;
// TG_KERNEL_AS(name, Args...) for exactly name<Arch, Args...> (e.g. a kernel without T).
// Use them in the kernel's namespace, after its definition. TG_EXTERN_KERNEL(_AS) declare, for a
// kernel shared through a header, that another file's TG_KERNEL instantiates it.
#define TG_ONE_(prefix, arch, name, ...) \
  prefix decltype(name<arch __VA_OPT__(, ) __VA_ARGS__>) name<arch __VA_OPT__(, ) __VA_ARGS__>;
#if TG_COMPILE_AVX2
#define TG_EXTERN_AVX2_(name, ...) TG_ONE_(extern template, ::tg::simd::Avx2, name __VA_OPT__(, ) __VA_ARGS__)
#else
#define TG_EXTERN_AVX2_(name, ...)
#endif
#if TG_COMPILE_AVX512
#define TG_EXTERN_AVX512_(name, ...) TG_ONE_(extern template, ::tg::simd::Avx512, name __VA_OPT__(, ) __VA_ARGS__)
#else
#define TG_EXTERN_AVX512_(name, ...)
#endif

#if defined(TG_KERNEL_PASS_AVX2)
#define TG_KERNEL_AS(name, ...) TG_ONE_(template, ::tg::simd::Avx2, name __VA_OPT__(, ) __VA_ARGS__)
#elif defined(TG_KERNEL_PASS_AVX512)
#define TG_KERNEL_AS(name, ...) TG_ONE_(template, ::tg::simd::Avx512, name __VA_OPT__(, ) __VA_ARGS__)
#else
#define TG_KERNEL_AS(name, ...)                                       \
  TG_ONE_(template, ::tg::simd::Sse2, name __VA_OPT__(, ) __VA_ARGS__) \
  TG_EXTERN_AVX2_(name __VA_OPT__(, ) __VA_ARGS__)                    \
  TG_EXTERN_AVX512_(name __VA_OPT__(, ) __VA_ARGS__)
#endif
#define TG_EXTERN_KERNEL_AS(name, ...)                                       \
  TG_ONE_(extern template, ::tg::simd::Sse2, name __VA_OPT__(, ) __VA_ARGS__) \
  TG_EXTERN_AVX2_(name __VA_OPT__(, ) __VA_ARGS__)                           \
  TG_EXTERN_AVX512_(name __VA_OPT__(, ) __VA_ARGS__)
#define TG_KERNEL(name, ...)                         \
  TG_KERNEL_AS(name, __VA_ARGS__ __VA_OPT__(, ) float) \
  TG_KERNEL_AS(name, __VA_ARGS__ __VA_OPT__(, ) double)
#define TG_EXTERN_KERNEL(name, ...)                         \
  TG_EXTERN_KERNEL_AS(name, __VA_ARGS__ __VA_OPT__(, ) float) \
  TG_EXTERN_KERNEL_AS(name, __VA_ARGS__ __VA_OPT__(, ) double)
