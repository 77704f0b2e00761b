// GEMM: C = A·B (+ bias), the BLIS way — five loops around a register-blocked micro-kernel.
//
//   for jc in [n0, n1) step NC                loop 5: an NC-wide block of columns of B and C
//     for pc in [0, K) step KC                loop 4: a KC-deep slice of the sum, in order
//       pack_b  B[pc:+KC, jc:+NC] -> B̃       KC×NC, in NR-column micro-panels   (stays in L3)
//       for ic in [m0, m1) step MC            loop 3: an MC-tall block of rows of A and C
//         pack_a  A[ic:+MC, pc:+KC] -> Ã     MC×KC, in MR-row micro-panels      (stays in L2)
//         macro_kernel
//           for jr in [0, NC) step NR         loop 2: one micro-panel of B̃      (stays in L1)
//             for ir in [0, MC) step MR       loop 1: one micro-panel of Ã
//               micro_kernel  tile = Ã panel · B̃ panel   (KC rank-1 updates in registers)
//               write_back    C tile = / += tile (+ bias, on the first KC slice only;
//                             then relu or selu, on the last, for a fused Linear→activation)
//
//   Ã, MC×KC:                                   B̃, KC×NC:
//   ┌──────────── KC ────────────┐              ┌─NR─┬─NR─┬─NR─┬ ┄ ┐
//   │ panel 0: MR rows           │ each panel   │    │    │    │   │ KC   each panel is
//   ├────────────────────────────┤ stored       │    │    │    │   │      stored k-major:
//   │ panel 1                    │ k-major:     │    │    │    │   │      NR values per k
//   ├────────────────────────────┤ MR values    └────┴────┴────┴ ┄ ┘
//   ┆                            ┆ per k
//
// The micro-kernel reads both panels front to back, one k at a time: broadcast MR values of
// Ã, load NR values of B̃ (two vectors), and do 2·MR fused multiply-adds into 2·MR accumulator
// registers. With AVX2 that is 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm
// registers, for a 6×16 float tile or a 6×8 double tile.
//
// Packing takes (row stride, column stride), so op(A) and op(B) are read straight from
// memory whatever their orientation: Aᵀ·B and A·Bᵀ need no transposed copies. Panels are
// zero-padded to full MR rows / NR columns, so edge tiles run the same micro-kernel as
// interior ones; write_back then stores only the valid part.
//
// Threads split C into strips — NR-aligned column strips (the JR direction; in an FNN, M is
// the batch and N the wide side), or MR-aligned row strips when N is too narrow — and each
// strip is a task of the worker pool (tensor/parallel.h): the thread that claims it runs the
// five loops over it with its own packing buffers. No barriers.
//
// Note [GEMM determinism]
// ~~~~~~~~~~~~~~~~~~~~~~~
// Every element of C is computed by the same instruction sequence whatever the thread count:
// for each KC slice in order, a chain of FMAs over k in order that starts from 0 in one
// register lane, then one add into C (with the bias added to the first slice). Lanes never
// interact — no horizontal sums — and edge tiles compute in full on zero-padded panels, so
// neither the position of an element in its tile nor the strip it falls in changes its bits.
// Strip boundaries still sit on global tile boundaries, so each thread's tiles are exactly
// the tiles a single thread would compute. Tested in tests/ops/test_gemm.cpp.
#include "ops/gemm.h"

#include <algorithm>
#include <type_traits>
#include <vector>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "ops/activations.h"
#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg::kernels {
namespace {

// ---- constants ----

/// Micro-tile (MR × NR) and cache blocks (MC × KC of A, KC × NC of B). NR is two vectors: 16
/// floats / 8 doubles with AVX2, 32 / 16 with AVX-512. KC·NR·sizeof(T) keeps a B̃ micro-panel in
/// L1; MC·KC is an L2-sized block of Ã; KC·NC·sizeof(T) ≈ 4 MiB is B̃ in L3. AVX2 has 16 vector
/// registers: 6 rows × 2 vectors = 12 accumulators. AVX-512 has 32: 8 × 2 = 16 accumulators
/// measured faster here than 12 × 2 or 14 × 2 (docs/benchmarks.md, "GEMM tile"), because the
/// taller tiles pack and write back more per k-step than they gain. KC is the same for every
/// instruction set, so a product has the same bits under AVX2 and AVX-512 (docs/isa.md).
/// TG_GEMM_AVX512_MR exists only to measure other AVX-512 tile heights (docs/benchmarks.md).
#ifndef TG_GEMM_AVX512_MR
#define TG_GEMM_AVX512_MR 8
#endif
template <class Arch, class T>
struct Blocking {
  static constexpr std::int64_t kMR = std::is_same_v<Arch, simd::Avx512> ? TG_GEMM_AVX512_MR : 6;
  static constexpr std::int64_t kNR = 2 * simd::kLanes<T, Arch>;
  static constexpr std::int64_t kMC = 144 / kMR * kMR;  // 144 for MR = 6, 8 or 12
  static constexpr std::int64_t kKC = 256;
  static constexpr std::int64_t kNC = (sizeof(T) == 4 ? 4080 : 2040) / kNR * kNR;  // whole NR panels
  static_assert(kMC % kMR == 0 && kNC % kNR == 0, "blocks must hold whole micro-tiles");
};

/// Below this many multiply-adds the product stays on the calling thread.
constexpr std::int64_t kParallelMacs = std::int64_t{1} << 18;
/// Column strips narrower than this many NR tiles per thread make the split go over rows.
constexpr std::int64_t kMinTilesPerStrip = 4;

// ---- packing ----

/// Per-thread packing buffer `which` (0: Ã, 1: B̃) of at least `count` T, 64-byte aligned.
/// It grows to the largest block ever packed and is then reused: no allocation per call.
template <class T>
T* packing_buffer(int which, std::int64_t count) {
  struct alignas(64) Line { unsigned char bytes[64]; };
  thread_local std::vector<Line> buffers[2];
  std::vector<Line>& buffer = buffers[which];
  const std::size_t lines = (static_cast<std::size_t>(count) * sizeof(T) + sizeof(Line) - 1) / sizeof(Line);
  if (buffer.size() < lines) buffer.resize(lines);
  return reinterpret_cast<T*>(buffer.data());
}

// Note [Packing by 8×8 transposes]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Two packings turn rows into columns: Ã from a row-major A (each k-step of a panel takes one
// value from each of MR rows) and B̃ from a transposed B (one value from each of NR rows of Bᵀ).
// Element by element that is a scalar load and store per value, and it cost ~12 % of a training
// step — more with two threads, since each thread packs all of A for its column strip. With
// AVX2 or AVX-512 and float, both are done 8 k-steps at a time instead: load 8 consecutive values
// of each of 8 rows, transpose the 8×8 block in registers, store 8 columns (a group of fewer rows
// stores masked). Only data moves, so the
// packed panels — and every product — are bit-identical to the element-wise copy, which still
// does edge panels, the last kc % 8 steps, doubles, and builds without AVX2.
#if defined(__AVX2__)
/// r[q] ← column q of the 8×8 block whose rows are r[0..7].
inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20), r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20), r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20), r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20), r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
#endif

/// The 8×8 transposes apply to float panels on the AVX2 and AVX-512 passes (both have AVX2).
template <class Arch, class T>
inline constexpr bool kTransposePacking =
    std::is_same_v<T, float> && (std::is_same_v<Arch, simd::Avx2> || std::is_same_v<Arch, simd::Avx512>);

#if defined(__AVX2__)
/// Lanes [0, count) set, for a masked store of the first `count` of 8 floats.
inline __m256i first_lanes(int count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/// Transposes the 8-k-step block of `rows` ≤ 8 rows (`rs` apart, contiguous in k) at k-step p and
/// stores row r of step p + q at out[(p + q)·ld + r]: rows become the k-major columns of a panel.
inline void transpose_rows_into(const float* src, std::int64_t rs, int rows, std::int64_t p, float* out,
                                std::int64_t ld) {
  __m256 r[8];
  for (int k = 0; k < 8; ++k) r[k] = k < rows ? _mm256_loadu_ps(src + k * rs + p) : _mm256_setzero_ps();
  transpose8(r);
  if (rows == 8) {
    for (int q = 0; q < 8; ++q) _mm256_storeu_ps(out + (p + q) * ld, r[q]);
  } else {
    const __m256i mask = first_lanes(rows);
    for (int q = 0; q < 8; ++q) _mm256_maskstore_ps(out + (p + q) * ld, mask, r[q]);
  }
}
#endif

/// Packs k-steps [0, 8·⌊kc/8⌋) of a full Ã panel from MR rows `rs` apart, contiguous in k; returns
/// how many k-steps it did (0 when the fast path does not apply).
template <class Arch, class T>
std::int64_t pack_a_rows_by_8(std::int64_t kc, const T* a, std::int64_t rs, T* out) {
#if defined(__AVX2__)
  if constexpr (kTransposePacking<Arch, T>) {
    constexpr std::int64_t MR = Blocking<Arch, T>::kMR;
    std::int64_t p = 0;
    for (; p + 8 <= kc; p += 8)
      for (std::int64_t r0 = 0; r0 < MR; r0 += 8)
        transpose_rows_into(a + r0 * rs, rs, static_cast<int>(std::min<std::int64_t>(8, MR - r0)), p, out + r0, MR);
    return p;
  }
#endif
  return 0;
}

/// Packs k-steps [0, 8·⌊kc/8⌋) of a full B̃ panel from NR columns of B that are rows `cs` apart
/// in memory (B transposed); returns how many k-steps it did (0 when the fast path does not apply).
template <class Arch, class T>
std::int64_t pack_b_columns_by_8(std::int64_t kc, const T* b, std::int64_t cs, T* out) {
#if defined(__AVX2__)
  if constexpr (kTransposePacking<Arch, T>) {
    constexpr std::int64_t NR = Blocking<Arch, T>::kNR;
    static_assert(NR % 8 == 0, "float panels are whole groups of 8 columns");
    std::int64_t p = 0;
    for (; p + 8 <= kc; p += 8)
      for (std::int64_t c0 = 0; c0 < NR; c0 += 8) transpose_rows_into(b + c0 * cs, cs, 8, p, out + c0, NR);
    return p;
  }
#endif
  return 0;
}

/// Ã ← rows [0, mc) × columns [0, kc) of A, as MR-row micro-panels: element (r, p) of a panel
/// at p·MR + r. Rows past mc are zero.
template <class Arch, class T>
void pack_a(std::int64_t mc, std::int64_t kc, const T* A, std::int64_t rs, std::int64_t cs, T* out) {
  constexpr std::int64_t MR = Blocking<Arch, T>::kMR;
  for (std::int64_t i = 0; i < mc; i += MR, out += MR * kc) {
    const std::int64_t rows = std::min(MR, mc - i);
    const T* a = A + i * rs;
    if (rows == MR && rs == 1) {  // A transposed (a weight gradient's gyᵀ): MR adjacent values per k
      for (std::int64_t p = 0; p < kc; ++p)
        for (std::int64_t r = 0; r < MR; ++r) out[p * MR + r] = a[r + p * cs];
      continue;
    }
    const std::int64_t done = rows == MR && cs == 1 ? pack_a_rows_by_8<Arch>(kc, a, rs, out) : 0;
    for (std::int64_t p = done; p < kc; ++p) {
      for (std::int64_t r = 0; r < rows; ++r) out[p * MR + r] = a[r * rs + p * cs];
      for (std::int64_t r = rows; r < MR; ++r) out[p * MR + r] = T(0);
    }
  }
}

/// B̃ ← rows [0, kc) × columns [0, nc) of B, as NR-column micro-panels: element (p, c) of a
/// panel at p·NR + c. Columns past nc are zero. Both orientations of B are read k by k (NR
/// streams when B is transposed), which measured faster than walking each column's run.
template <class Arch, class T>
void pack_b(std::int64_t kc, std::int64_t nc, const T* B, std::int64_t rs, std::int64_t cs, T* out) {
  constexpr std::int64_t NR = Blocking<Arch, T>::kNR;
  for (std::int64_t j = 0; j < nc; j += NR, out += NR * kc) {
    const std::int64_t cols = std::min(NR, nc - j);
    const T* b = B + j * cs;
    if (cols == NR && cs == 1) {  // the common case: a fixed-size copy the compiler vectorises
      for (std::int64_t p = 0; p < kc; ++p)
        for (std::int64_t c = 0; c < NR; ++c) out[p * NR + c] = b[p * rs + c];
    } else {
      const std::int64_t done = cols == NR && rs == 1 ? pack_b_columns_by_8<Arch>(kc, b, cs, out) : 0;
      for (std::int64_t p = done; p < kc; ++p)
        for (std::int64_t c = 0; c < NR; ++c) out[p * NR + c] = c < cols ? b[p * rs + c * cs] : T(0);
    }
  }
}

// ---- the micro-kernel ----

/// tile (MR × NR, row-major) = Ã panel · B̃ panel over kc steps. The only arithmetic of the
/// GEMM: see Note [GEMM determinism].
template <class Arch, class T>
void micro_kernel(std::int64_t kc, const T* a, const T* b, T* tile) {
  using V = simd::Batch<T, Arch>;
  constexpr std::int64_t MR = Blocking<Arch, T>::kMR, NR = Blocking<Arch, T>::kNR, L = V::size;
  V c0[MR], c1[MR];
  for (std::int64_t r = 0; r < MR; ++r) c0[r] = c1[r] = V(T(0));
  for (std::int64_t p = 0; p < kc; ++p, a += MR, b += NR) {
    const V b0 = V::load_unaligned(b), b1 = V::load_unaligned(b + L);
    for (std::int64_t r = 0; r < MR; ++r) {
      const V ar(a[r]);
      c0[r] = xsimd::fma(ar, b0, c0[r]);
      c1[r] = xsimd::fma(ar, b1, c1[r]);
    }
  }
  for (std::int64_t r = 0; r < MR; ++r) {
    c0[r].store_unaligned(tile + r * NR);
    c1[r].store_unaligned(tile + r * NR + L);
  }
}

/// The micro-kernel over a KC slice whose k-steps are cut into segments of `segment`: each
/// segment's product from zero in the accumulator registers, the segment products combined as
/// the fixed tree of Note [Batch sums in a fixed tree] (tensor/parallel.h) — a stack of partial
/// tiles in L1, merged into the registers of the newest. For a weight gradient gyᵀ·x, whose k is
/// the batch.
template <class Arch, class T>
void micro_kernel_tree(std::int64_t kc, std::int64_t segment, const T* a, const T* b, T* tile) {
  using V = simd::Batch<T, Arch>;
  constexpr std::int64_t MR = Blocking<Arch, T>::kMR, NR = Blocking<Arch, T>::kNR, L = V::size;
  alignas(64) T stack[kMaxTreeLevels][MR * NR];
  int level[kMaxTreeLevels], top = 0;
  V c0[MR], c1[MR];
  auto add_from = [&](const T* partial) {  // c = partial + c: the earlier sum on the left
    for (std::int64_t r = 0; r < MR; ++r) {
      c0[r] = V::load_aligned(partial + r * NR) + c0[r];
      c1[r] = V::load_aligned(partial + r * NR + L) + c1[r];
    }
  };
  auto store_to = [&](T* out) {
    for (std::int64_t r = 0; r < MR; ++r) {
      c0[r].store_aligned(out + r * NR);
      c1[r].store_aligned(out + r * NR + L);
    }
  };
  for (std::int64_t s = 0; s < kc; s += segment) {
    for (std::int64_t r = 0; r < MR; ++r) c0[r] = c1[r] = V(T(0));
    const std::int64_t end = std::min(kc, s + segment);
    const T *ap = a + s * MR, *bp = b + s * NR;
    for (std::int64_t p = s; p < end; ++p, ap += MR, bp += NR) {
      const V b0 = V::load_unaligned(bp), b1 = V::load_unaligned(bp + L);
      for (std::int64_t r = 0; r < MR; ++r) {
        const V ar(ap[r]);
        c0[r] = xsimd::fma(ar, b0, c0[r]);
        c1[r] = xsimd::fma(ar, b1, c1[r]);
      }
    }
    int lv = 0;
    while (top > 0 && level[top - 1] == lv) add_from(stack[--top]), ++lv;
    if (end == kc) break;  // the last segment's sum stays in the registers
    if (top == kMaxTreeLevels) {  // deeper than the stack (TreeSum does the same): fold into the last slot
      add_from(stack[--top]);
      lv = level[top];
    }
    store_to(stack[top]);
    level[top++] = lv;
  }
  while (top > 0) add_from(stack[--top]);  // what remains, folded from the right
  for (std::int64_t r = 0; r < MR; ++r) {
    c0[r].store_unaligned(tile + r * NR);
    c1[r].store_unaligned(tile + r * NR + L);
  }
}

/// The epilogue of the last KC slice when nothing follows the product.
struct Identity {
  template <class B> B forward(const B& x) const { return x; }
};

/// C[0:m, 0:n] ← act(tile (+ bias) (+ C when add_to_c)), a vector of NR/2 columns at a time; an edge
/// tile's last vector is zero-padded on load and stored partially, so every element of C goes
/// through the same instructions wherever it lies in its tile.
template <class Arch, class T, class Act>
void write_tile(const T* tile, T* C, std::int64_t ldc, std::int64_t m, std::int64_t n, bool add_to_c, const T* bias,
                const Act& act) {
  using V = simd::Batch<T, Arch>;
  constexpr std::int64_t NR = Blocking<Arch, T>::kNR, L = V::size;
  for (std::int64_t r = 0; r < m; ++r) {
    T* row = C + r * ldc;
    for (std::int64_t j = 0; j < n; j += L) {
      const std::int64_t count = std::min(L, n - j);
      auto load = [&](const T* p) { return count == L ? V::load_unaligned(p + j) : simd::detail::load_tail<V>(p, j, count); };
      V v = V::load_unaligned(tile + r * NR + j);
      if (bias) v = v + load(bias);
      if (add_to_c) v = load(row) + v;
      v = act.forward(v);
      if (count == L) {
        v.store_unaligned(row + j);
      } else {
        alignas(64) T lanes[L];
        v.store_aligned(lanes);
        std::copy(lanes, lanes + count, row + j);
      }
    }
  }
}

template <class Arch, class T>
void write_back(const T* tile, T* C, std::int64_t ldc, std::int64_t m, std::int64_t n, bool add_to_c, const T* bias,
                Activation activation) {
  switch (activation) {
    case Activation::none: return write_tile<Arch>(tile, C, ldc, m, n, add_to_c, bias, Identity{});
    case Activation::relu: return write_tile<Arch>(tile, C, ldc, m, n, add_to_c, bias, Relu{});
    case Activation::selu: return write_tile<Arch>(tile, C, ldc, m, n, add_to_c, bias, Selu{});
  }
}

// ---- the loops ----

template <class T>
struct Problem {
  std::int64_t M, N, K;
  const T* A;
  std::int64_t a_rs, a_cs;
  const T* B;
  std::int64_t b_rs, b_cs;
  T* C;
  std::int64_t ldc;
  bool accumulate;
  const T* bias;
  Activation activation;  ///< applied by the last KC slice's write-back
  std::int64_t k_segment;  ///< > 0: each KC slice sums its k as a tree of segments (micro_kernel_tree)
};

/// Loops 2 and 1 over one packed MC×KC block of A and KC×NC block of B.
template <class Arch, class T>
void macro_kernel(std::int64_t mc, std::int64_t nc, std::int64_t kc, const T* packed_a, const T* packed_b, T* C,
                  std::int64_t ldc, bool add_to_c, const T* bias, Activation activation, std::int64_t k_segment) {
  constexpr std::int64_t MR = Blocking<Arch, T>::kMR, NR = Blocking<Arch, T>::kNR;
  alignas(64) T tile[MR * NR];
  for (std::int64_t jr = 0; jr < nc; jr += NR)
    for (std::int64_t ir = 0; ir < mc; ir += MR) {
      const std::int64_t m = std::min(MR, mc - ir), n = std::min(NR, nc - jr);
      T* c = C + ir * ldc + jr;
      for (std::int64_t r = 0; r < m; ++r) {  // C's tile arrives in cache while the kernel runs
        __builtin_prefetch(c + r * ldc, 1);
        __builtin_prefetch(c + r * ldc + n - 1, 1);
      }
      if (k_segment > 0 && k_segment < kc) micro_kernel_tree<Arch>(kc, k_segment, packed_a + ir * kc, packed_b + jr * kc, tile);
      else micro_kernel<Arch>(kc, packed_a + ir * kc, packed_b + jr * kc, tile);
      write_back<Arch>(tile, c, ldc, m, n, add_to_c, bias ? bias + jr : nullptr, activation);
    }
}

/// Loops 5, 4 and 3 over the strip C[m0:m1, n0:n1] (n0 a multiple of NR, m0 of MR).
template <class Arch, class T>
void five_loops(const Problem<T>& g, std::int64_t m0, std::int64_t m1, std::int64_t n0, std::int64_t n1) {
  using Blk = Blocking<Arch, T>;
  const std::int64_t strip_width = (n1 - n0 + Blk::kNR - 1) / Blk::kNR * Blk::kNR;
  T* packed_a = packing_buffer<T>(0, Blk::kMC * Blk::kKC);
  T* packed_b = packing_buffer<T>(1, Blk::kKC * std::min(Blk::kNC, strip_width));
  for (std::int64_t jc = n0; jc < n1; jc += Blk::kNC) {
    const std::int64_t nc = std::min(Blk::kNC, n1 - jc);
    for (std::int64_t pc = 0; pc < g.K; pc += Blk::kKC) {
      const std::int64_t kc = std::min(Blk::kKC, g.K - pc);
      // The bias goes in with the first slice, the activation with the last (once C is complete).
      const bool first = pc == 0, last = pc + kc >= g.K;
      pack_b<Arch>(kc, nc, g.B + pc * g.b_rs + jc * g.b_cs, g.b_rs, g.b_cs, packed_b);
      for (std::int64_t ic = m0; ic < m1; ic += Blk::kMC) {
        const std::int64_t mc = std::min(Blk::kMC, m1 - ic);
        pack_a<Arch>(mc, kc, g.A + ic * g.a_rs + pc * g.a_cs, g.a_rs, g.a_cs, packed_a);
        macro_kernel<Arch>(mc, nc, kc, packed_a, packed_b, g.C + ic * g.ldc + jc, g.ldc, !first || g.accumulate,
                           first && g.bias ? g.bias + jc : nullptr, last ? g.activation : Activation::none, g.k_segment);
      }
    }
  }
}

/// First tile of strip t when `tiles` tiles are shared by `strips` strips.
std::int64_t strip_begin(std::int64_t t, std::int64_t strips, std::int64_t tiles) { return tiles * t / strips; }

}  // namespace

/// gemm for one instruction set (TG_KERNEL below; gemm() picks the instruction set).
template <class Arch, class T>
void gemm_isa(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t a_row_stride,
              std::int64_t a_col_stride, const T* B, std::int64_t b_row_stride, std::int64_t b_col_stride, T* C,
              std::int64_t ldc, bool accumulate, const T* bias, Activation activation, std::int64_t k_segment) {
  using Blk = Blocking<Arch, T>;
  if (M <= 0 || N <= 0) return;
  if (K == 0) {  // an empty sum: C = act((C +) bias), through the write-back of a zero tile
    alignas(64) T zero[Blk::kMR * Blk::kNR] = {};
    for (std::int64_t i = 0; i < M; i += Blk::kMR)
      for (std::int64_t j = 0; j < N; j += Blk::kNR)
        write_back<Arch>(zero, C + i * ldc + j, ldc, std::min(Blk::kMR, M - i), std::min(Blk::kNR, N - j), accumulate,
                         bias ? bias + j : nullptr, activation);
    return;
  }
  const Problem<T> g{M, N, K, A, a_row_stride, a_col_stride, B, b_row_stride, b_col_stride, C, ldc, accumulate, bias,
                     activation, k_segment};
  const std::int64_t m_tiles = (M + Blk::kMR - 1) / Blk::kMR, n_tiles = (N + Blk::kNR - 1) / Blk::kNR;
  const std::int64_t wanted = M * N * K < kParallelMacs ? 1 : std::min<std::int64_t>(num_threads(), std::max(m_tiles, n_tiles));
  const bool split_columns = n_tiles >= kMinTilesPerStrip * wanted || n_tiles >= m_tiles;
  // Thread t of `strips` computes its strip of C's columns (or rows).
  auto strip = [&](std::int64_t t, std::int64_t strips) {
    if (split_columns) {
      const std::int64_t n0 = strip_begin(t, strips, n_tiles) * Blk::kNR;
      const std::int64_t n1 = std::min(N, strip_begin(t + 1, strips, n_tiles) * Blk::kNR);
      if (n0 < n1) five_loops<Arch>(g, 0, M, n0, n1);
    } else {
      const std::int64_t m0 = strip_begin(t, strips, m_tiles) * Blk::kMR;
      const std::int64_t m1 = std::min(M, strip_begin(t + 1, strips, m_tiles) * Blk::kMR);
      if (m0 < m1) five_loops<Arch>(g, m0, m1, 0, N);
    }
  };
  if (wanted == 1) {
    strip(0, 1);
    return;
  }
  auto task = [&](std::int64_t t) { strip(t, wanted); };
  run_tasks(wanted, task, static_cast<int>(wanted));  // Note [The worker pool] in tensor/parallel.h
}

TG_KERNEL(gemm_isa)

/// The blocking of gemm_isa<Arch, T>, for gemm_blocking().
template <class Arch, class T>
void blocking_isa(GemmBlocking* out) {
  using Blk = Blocking<Arch, T>;
  *out = {Blk::kMR, Blk::kNR, Blk::kMC, Blk::kKC, Blk::kNC};
}
TG_KERNEL(blocking_isa)

#if TG_OP_PASS
template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t a_row_stride,
          std::int64_t a_col_stride, const T* B, std::int64_t b_row_stride, std::int64_t b_col_stride, T* C,
          std::int64_t ldc, bool accumulate, const T* bias, Activation activation, std::int64_t k_segment) {
  simd::with_isa([&]<class Arch>() {
    gemm_isa<Arch>(M, N, K, A, a_row_stride, a_col_stride, B, b_row_stride, b_col_stride, C, ldc, accumulate, bias,
                   activation, k_segment);
  });
}

template <class T>
GemmBlocking gemm_blocking() {
  GemmBlocking b;
  simd::with_isa([&]<class Arch>() { blocking_isa<Arch, T>(&b); });
  return b;
}

template void gemm<float>(std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t, std::int64_t,
                          const float*, std::int64_t, std::int64_t, float*, std::int64_t, bool, const float*,
                          Activation, std::int64_t);
template void gemm<double>(std::int64_t, std::int64_t, std::int64_t, const double*, std::int64_t, std::int64_t,
                           const double*, std::int64_t, std::int64_t, double*, std::int64_t, bool, const double*,
                           Activation, std::int64_t);
template GemmBlocking gemm_blocking<float>();
template GemmBlocking gemm_blocking<double>();
#endif

}  // namespace tg::kernels
