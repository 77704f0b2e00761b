#include "tensor/random.h"

#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "tensor/parallel.h"

namespace tg {

std::array<std::uint32_t, 4> philox(std::uint64_t seed, std::uint64_t counter) {
  r123::Philox4x32 rng;
  r123::Philox4x32::ctr_type ctr = {{static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32), 0, 0}};
  r123::Philox4x32::key_type key = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  auto r = rng(ctr, key);
  return {r[0], r[1], r[2], r[3]};
}

namespace {
// 53 bits from two words, shifted by half a step so 0 and 1 are never returned.
double to_open_unit(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return (static_cast<double>(bits & ((1ull << 53) - 1)) + 0.5) * 0x1p-53;
}

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

// Note [Philox eight at a time]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// One Philox4x32-10 call is ten rounds of two 32×32→64-bit multiplies and a few xors — about
// 25 ns in scalar code, which made a dropout mask 30× slower than copying the tensor. The
// rounds of different counters are independent, so uniform_fill runs eight counters side by
// side, one per 32-bit lane of an AVX2 register: word k of all eight states lives in register
// c[k]. Four such groups are interleaved, because one group alone waits on its multiplies. AVX2 multiplies only the even lanes (_mm256_mul_epu32, 32×32→64), so mulhilo does the
// even lanes, then the odd ones shifted down, and blends the halves back into (hi, lo). The
// round and key schedule are Random123's philox4x32 with R = 10, word for word:
//   (hi0, lo0) = M0·c0,  (hi1, lo1) = M1·c2,  c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0),
//   then k += (W0, W1) before every round but the first.
// tests/tensor/test_random.cpp checks it against philox() bit for bit, across the 2^32
// carry of the counter and at every length around the width. Without AVX2 it is the scalar loop.
#if defined(__AVX2__)
namespace {
struct HiLo {
  __m256i hi, lo;
};

inline HiLo mulhilo(__m256i x, __m256i m) {
  const __m256i even = _mm256_mul_epu32(x, m);                         // lanes 0, 2, 4, 6 → 64-bit
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);  // lanes 1, 3, 5, 7
  return {_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0b10101010),
          _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0b10101010)};
}

// Words 0 and 1 of philox(seed, first + j) for j < 8·kGroups: kGroups independent groups of
// eight counters, interleaved so that one group's multiplies run while another's wait for theirs
// (a single group is latency-bound: each round depends on the one before).
constexpr int kGroups = 4;
inline void philox_groups(std::uint64_t seed, std::uint64_t first, std::uint32_t* w0, std::uint32_t* w1) {
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(0xD2511F53u)), m1 = _mm256_set1_epi32(static_cast<int>(0xCD9E8D57u));
  alignas(32) std::uint32_t lo[8 * kGroups], hi[8 * kGroups];
  for (int j = 0; j < 8 * kGroups; ++j) {
    const std::uint64_t counter = first + static_cast<std::uint64_t>(j);
    lo[j] = static_cast<std::uint32_t>(counter), hi[j] = static_cast<std::uint32_t>(counter >> 32);
  }
  __m256i c0[kGroups], c1[kGroups], c2[kGroups], c3[kGroups];
  for (int g = 0; g < kGroups; ++g) {
    c0[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo + 8 * g));
    c1[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi + 8 * g));
    c2[g] = c3[g] = _mm256_setzero_si256();
  }
  std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
    const __m256i key0 = _mm256_set1_epi32(static_cast<int>(k0)), key1 = _mm256_set1_epi32(static_cast<int>(k1));
    for (int g = 0; g < kGroups; ++g) {
      const HiLo p0 = mulhilo(c0[g], m0), p1 = mulhilo(c2[g], m1);
      c0[g] = _mm256_xor_si256(_mm256_xor_si256(p1.hi, c1[g]), key0);
      c1[g] = p1.lo;
      c2[g] = _mm256_xor_si256(_mm256_xor_si256(p0.hi, c3[g]), key1);
      c3[g] = p0.lo;
    }
  }
  for (int g = 0; g < kGroups; ++g) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w0 + 8 * g), c0[g]);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(w1 + 8 * g), c1[g]);
  }
}
}  // namespace
#endif

void uniform_fill(std::uint64_t seed, std::uint64_t first, std::int64_t n, double* out) {
  std::int64_t i = 0;
#if defined(__AVX2__)
  constexpr std::int64_t kStep = 8 * kGroups;
  alignas(32) std::uint32_t w0[kStep], w1[kStep];
  for (; i < n; i += kStep) {  // the last step computes a whole group and keeps what is asked for
    philox_groups(seed, first + static_cast<std::uint64_t>(i), w0, w1);
    const std::int64_t m = std::min(kStep, n - i);
    for (std::int64_t j = 0; j < m; ++j) out[i + j] = to_open_unit(w0[j], w1[j]);
  }
#endif
  for (; i < n; ++i) out[i] = uniform_at(seed, first + static_cast<std::uint64_t>(i));  // without AVX2
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

}  // namespace tg
