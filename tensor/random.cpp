#include "tensor/random.h"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg {

namespace {
// 53 bits from two words, shifted by half a step so 0 and 1 are never returned.
double to_open_unit(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return (static_cast<double>(bits & ((1ull << 53) - 1)) + 0.5) * 0x1p-53;
}
}  // namespace

// Note [Philox many at a time]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// One Philox4x32-10 call is ten rounds of two 32×32→64-bit multiplies and a few xors — about
// 25 ns in scalar code, which made a dropout mask 30× slower than copying the tensor. The
// rounds of different counters are independent, so uniform_block runs one counter per 32-bit
// lane: 8 per AVX2 register, 16 per AVX-512 register; word k of all the lanes' states lives in
// register c[k]. Four such groups are interleaved, because one group alone waits on its
// multiplies. The multiply instruction (vpmuludq) multiplies only the even lanes, 32×32→64, so
// mulhilo does the even lanes, then the odd ones shifted down, and blends the halves back into
// (hi, lo). The round and key schedule are Random123's philox4x32 with R = 10, word for word:
//   (hi0, lo0) = M0·c0,  (hi1, lo1) = M1·c2,  c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0),
//   then k += (W0, W1) before every round but the first.
// Only integer arithmetic: every instruction set gives the same bits as philox().
// tests/tensor/test_random.cpp checks it against philox() bit for bit under every instruction
// set the machine has, across the 2^32 carry of the counter and at every length around the
// width. The sse2 pass is the scalar loop.
namespace kernels {
namespace {

#if defined(__AVX2__)
/// 8 lanes of 32-bit words in a ymm register.
struct Lanes8 {
  using V = __m256i;
  static constexpr int kLanes = 8;
  static V set1(std::uint32_t w) { return _mm256_set1_epi32(static_cast<int>(w)); }
  static V load(const std::uint32_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(std::uint32_t* p, V v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  static V zero() { return _mm256_setzero_si256(); }
  static V bxor(V a, V b) { return _mm256_xor_si256(a, b); }
  static V mul_even(V a, V b) { return _mm256_mul_epu32(a, b); }
  static V shr32(V a) { return _mm256_srli_epi64(a, 32); }
  static V shl32(V a) { return _mm256_slli_epi64(a, 32); }
  static V odd_from(V even, V odd) { return _mm256_blend_epi32(even, odd, 0b10101010); }
};
#endif
#if defined(__AVX512F__)
/// 16 lanes of 32-bit words in a zmm register.
struct Lanes16 {
  using V = __m512i;
  static constexpr int kLanes = 16;
  static V set1(std::uint32_t w) { return _mm512_set1_epi32(static_cast<int>(w)); }
  static V load(const std::uint32_t* p) { return _mm512_load_si512(p); }
  static void store(std::uint32_t* p, V v) { _mm512_storeu_si512(p, v); }
  static V zero() { return _mm512_setzero_si512(); }
  static V bxor(V a, V b) { return _mm512_xor_si512(a, b); }
  static V mul_even(V a, V b) { return _mm512_mul_epu32(a, b); }
  static V shr32(V a) { return _mm512_srli_epi64(a, 32); }
  static V shl32(V a) { return _mm512_slli_epi64(a, 32); }
  static V odd_from(V even, V odd) { return _mm512_mask_blend_epi32(0xAAAA, even, odd); }
};
#endif

constexpr int kGroups = 4;

// Words 0–3 of philox(seed, first + j) for j < L::kLanes·kGroups, into w[0..3][j]: kGroups
// independent groups interleaved so that one group's multiplies run while another's wait.
template <class L>
void philox_groups(std::uint64_t seed, std::uint64_t first, std::uint32_t (*w)[L::kLanes * kGroups]) {
  using V = typename L::V;
  constexpr int kStep = L::kLanes * kGroups;
  auto mulhilo = [](V x, V m, V& hi, V& lo) {
    const V even = L::mul_even(x, m);             // lanes 0, 2, 4, … → 64-bit products
    const V odd = L::mul_even(L::shr32(x), m);    // lanes 1, 3, 5, …
    hi = L::odd_from(L::shr32(even), odd);
    lo = L::odd_from(even, L::shl32(odd));
  };
  const V m0 = L::set1(0xD2511F53u), m1 = L::set1(0xCD9E8D57u);
  alignas(64) std::uint32_t lo[kStep], hi[kStep];
  for (int j = 0; j < kStep; ++j) {
    const std::uint64_t counter = first + static_cast<std::uint64_t>(j);
    lo[j] = static_cast<std::uint32_t>(counter), hi[j] = static_cast<std::uint32_t>(counter >> 32);
  }
  V c0[kGroups], c1[kGroups], c2[kGroups], c3[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    c0[g] = L::load(lo + L::kLanes * g);
    c1[g] = L::load(hi + L::kLanes * g);
    c2[g] = c3[g] = L::zero();
  }
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
    const V key0 = L::set1(k0), key1 = L::set1(k1);
    for (int g = 0; g < kGroups; ++g) {
      V hi0, lo0, hi1, lo1;
      mulhilo(c0[g], m0, hi0, lo0);
      mulhilo(c2[g], m1, hi1, lo1);
      c0[g] = L::bxor(L::bxor(hi1, c1[g]), key0);
      c1[g] = lo1;
      c2[g] = L::bxor(L::bxor(hi0, c3[g]), key1);
      c3[g] = lo0;
    }
  }
  for (int g = 0; g < kGroups; ++g) {
    L::store(w[0] + L::kLanes * g, c0[g]);
    L::store(w[1] + L::kLanes * g, c1[g]);
    L::store(w[2] + L::kLanes * g, c2[g]);
    L::store(w[3] + L::kLanes * g, c3[g]);
  }
}

// out[j] = to_open_unit(words 0, 1 of philox(seed, first + j)), kLanes·kGroups counters a step;
// the last step computes whole groups and keeps what is asked for.
template <class L>
void uniform_lanes(std::uint64_t seed, std::uint64_t first, std::int64_t n, double* out) {
  constexpr std::int64_t kStep = L::kLanes * kGroups;
  alignas(64) std::uint32_t w[4][kStep];
  for (std::int64_t i = 0; i < n; i += kStep) {
    philox_groups<L>(seed, first + static_cast<std::uint64_t>(i), w);
    const std::int64_t m = std::min(kStep, n - i);
    for (std::int64_t j = 0; j < m; ++j) out[i + j] = to_open_unit(w[0][j], w[1][j]);
  }
}

// The 16-bit halves of counters first, first + 1, …: out[8j + 2k + h] = half h of word k of
// counter first + j, for j < counters (Note [Sixteen-bit draws]).
template <class L>
void halves_lanes(std::uint64_t seed, std::uint64_t first, std::int64_t counters, std::uint16_t* out) {
  constexpr std::int64_t kStep = L::kLanes * kGroups;
  alignas(64) std::uint32_t w[4][kStep];
  for (std::int64_t i = 0; i < counters; i += kStep) {
    philox_groups<L>(seed, first + static_cast<std::uint64_t>(i), w);
    const std::int64_t m = std::min(kStep, counters - i);
    for (std::int64_t j = 0; j < m; ++j)
      for (int k = 0; k < 4; ++k) {
        out[8 * (i + j) + 2 * k] = static_cast<std::uint16_t>(w[k][j]);
        out[8 * (i + j) + 2 * k + 1] = static_cast<std::uint16_t>(w[k][j] >> 16);
      }
  }
}

}  // namespace

/// out[j] = uniform_at(seed, first + j) for j < n (Note [Philox many at a time]).
template <class Arch>
void uniform_block(std::uint64_t seed, std::uint64_t first, std::int64_t n, double* out) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Arch, simd::Avx512>) return uniform_lanes<Lanes16>(seed, first, n, out);
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, simd::Avx2>) return uniform_lanes<Lanes8>(seed, first, n, out);
#endif
  for (std::int64_t i = 0; i < n; ++i) out[i] = uniform_at(seed, first + static_cast<std::uint64_t>(i));
}
TG_KERNEL_AS(uniform_block)

template <class Arch>
void halves_block(std::uint64_t seed, std::uint64_t first, std::int64_t counters, std::uint16_t* out) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<Arch, simd::Avx512>) return halves_lanes<Lanes16>(seed, first, counters, out);
#endif
#if defined(__AVX2__)
  if constexpr (std::is_same_v<Arch, simd::Avx2>) return halves_lanes<Lanes8>(seed, first, counters, out);
#endif
  for (std::int64_t j = 0; j < counters; ++j) {
    const auto w = philox(seed, first + static_cast<std::uint64_t>(j));
    for (int k = 0; k < 4; ++k) {
      out[8 * j + 2 * k] = static_cast<std::uint16_t>(w[k]);
      out[8 * j + 2 * k + 1] = static_cast<std::uint16_t>(w[k] >> 16);
    }
  }
}
TG_KERNEL_AS(halves_block)

}  // namespace kernels

#if TG_OP_PASS
std::array<std::uint32_t, 4> philox(std::uint64_t seed, std::uint64_t counter) {
  r123::Philox4x32 rng;
  r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), 0, 0}};
  r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  auto r = rng(ctr, key);
  return {r[0], r[1], r[2], r[3]};
}

namespace {
// A new tensor whose element i is the value for counter first + i, with first reserved from gen.
// fill(seed, counter, n, values) writes the n values of counters counter .. counter + n − 1 as
// doubles; they are then rounded to the tensor's dtype. Each element depends on its counter only,
// so the thread split changes nothing (Note [Counter-based randomness]).
template <class Fill>
Tensor fill_random(const Shape& shape, Generator& gen, DType dtype, const char* op, Fill&& fill) {
  Tensor t = empty(shape, dtype);
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>(t.numel()));
  const std::uint64_t seed = gen.seed();
  dispatch(dtype, op, [&]<class T>() {
    T* out = t.data<T>();
    parallel_for(
        t.numel(),
        [&](std::int64_t begin, std::int64_t end) {
          double values[kUniformBlock];
          for (std::int64_t b = begin; b < end; b += kUniformBlock) {
            const std::int64_t n = std::min(kUniformBlock, end - b);
            fill(seed, first + static_cast<std::uint64_t>(b), n, values);
            for (std::int64_t i = 0; i < n; ++i) out[b + i] = static_cast<T>(values[i]);
          }
        },
        8);
  });
  return t;
}

// fill_random's filler for value_of(u), u = uniform_at(seed, counter), eight counters at a time.
template <class Fn>
auto uniform_filler(Fn value_of) {
  return [value_of](std::uint64_t seed, std::uint64_t counter, std::int64_t n, double* values) {
    uniform_fill(seed, counter, n, values);
    for (std::int64_t i = 0; i < n; ++i) values[i] = value_of(values[i]);
  };
}
}  // namespace

double uniform_at(std::uint64_t seed, std::uint64_t counter) {
  auto w = philox(seed, counter);
  return to_open_unit(w[0], w[1]);
}


void uniform_fill(std::uint64_t seed, std::uint64_t first, std::int64_t n, double* out) {
  simd::with_isa([&]<class Arch>() { kernels::uniform_block<Arch>(seed, first, n, out); });
}

double normal_at(std::uint64_t seed, std::uint64_t counter) {
  auto w = philox(seed, counter);
  const double u1 = to_open_unit(w[0], w[1]), u2 = to_open_unit(w[2], w[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype, double mean, double std) {
  return fill_random(shape, gen, dtype, "randn", [=](std::uint64_t s, std::uint64_t c, std::int64_t n, double* v) {
    for (std::int64_t i = 0; i < n; ++i) v[i] = mean + std * normal_at(s, c + static_cast<std::uint64_t>(i));
  });
}

Tensor rand(const Shape& shape, Generator& gen, DType dtype, double low, double high) {
  check(low < high, "rand: low ", low, " must be below high ", high);
  return fill_random(shape, gen, dtype, "rand", uniform_filler([=](double u) { return low + (high - low) * u; }));
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype) {
  check(p >= 0 && p <= 1, "bernoulli: probability ", p, " is outside [0, 1]");
  return fill_random(shape, gen, dtype, "bernoulli", uniform_filler([=](double u) { return u < p ? 1.0 : 0.0; }));
}

std::vector<std::int64_t> randperm(std::int64_t n, Generator& gen) {
  check(n >= 0, "randperm: negative length ", n);
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[i] = i;
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>(n));
  for (std::int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<std::int64_t>(uniform_at(gen.seed(), first + i) * static_cast<double>(i + 1));
    std::swap(p[i], p[std::min(j, i)]);
  }
  return p;
}

#endif  // TG_OP_PASS

}  // namespace tg
