// Counter-based random numbers (Philox4x32-10 from Random123).
//
// Note [Counter-based randomness]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Element i of a random tensor is a pure function of (seed, counter = offset + i): one Philox
// call, no sequential state. So values never depend on how many threads fill the tensor, and
// a Generator is fully described by two integers (seed, offset), which a checkpoint stores.
// Each draw advances the offset by the number of elements drawn.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0, std::uint64_t offset = 0) : seed_(seed), offset_(offset) {}
  std::uint64_t seed() const { return seed_; }
  std::uint64_t offset() const { return offset_; }
  /// Reserves n consecutive counters; returns the first.
  std::uint64_t advance(std::uint64_t n) {
    std::uint64_t first = offset_;
    offset_ += n;
    return first;
  }

 private:
  std::uint64_t seed_;
  std::uint64_t offset_;
};

/// The four 32-bit Philox words for (seed, counter).
std::array<std::uint32_t, 4> philox(std::uint64_t seed, std::uint64_t counter);
/// Uniform in the open interval (0, 1), 53 random bits, from words 0 and 1.
double uniform_at(std::uint64_t seed, std::uint64_t counter);
/// out[i] = uniform_at(seed, first + i) for i in [0, n): the same bits, 8 or 16 counters at a time
/// with AVX2 or AVX-512 (Note [Philox many at a time] in random.cpp). For masks and large fills.
void uniform_fill(std::uint64_t seed, std::uint64_t first, std::int64_t n, double* out);
/// Uniforms per uniform_fill call in kernels that draw many (a stack buffer of doubles).
inline constexpr std::int64_t kUniformBlock = 256;

// Note [Sixteen-bit draws]
// ~~~~~~~~~~~~~~~~~~~~~~~~
// A keep/drop decision needs far fewer than the 53 bits uniform_at spends: a dropout mask
// compares 16 random bits with a threshold t = round(keep·2^16), and keeps with probability
// exactly t/2^16 — the probability the layers then use for their scale (and alpha-dropout for a
// and b). One Philox call gives four 32-bit words, so eight decisions: element i of a mask uses
// half i mod 2 of word (i mod 8)/2 of counter first + i/8. A pure function of (seed, element
// index), the same for every thread count and instruction set; 8× fewer Philox calls than one
// uniform per element.
/// out[8j + 2k + h] = bits 16h..16h+15 of word k of philox(seed, first + j), for j < counters.
void halves_fill(std::uint64_t seed, std::uint64_t first, std::int64_t counters, std::uint16_t* out);
namespace kernels {
/// uniform_fill for one instruction set, for kernels that already have one (Arch is an xsimd
/// architecture; instantiated per instruction set in random.cpp).
template <class Arch>
void uniform_block(std::uint64_t seed, std::uint64_t first, std::int64_t n, double* out);
/// halves_fill for one instruction set.
template <class Arch>
void halves_block(std::uint64_t seed, std::uint64_t first, std::int64_t counters, std::uint16_t* out);
}  // namespace kernels
/// Standard normal by Box–Muller from the two uniforms of one Philox call.
double normal_at(std::uint64_t seed, std::uint64_t counter);

/// N(mean, std²) values.
Tensor randn(const Shape& shape, Generator& gen, DType dtype = DType::float32, double mean = 0.0, double std = 1.0);
/// Uniform values in (low, high).
Tensor rand(const Shape& shape, Generator& gen, DType dtype = DType::float32, double low = 0.0, double high = 1.0);
/// 1 with probability p, else 0.
Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype = DType::float32);
/// A uniformly random permutation of 0..n-1 (Fisher–Yates driven by counters).
std::vector<std::int64_t> randperm(std::int64_t n, Generator& gen);

}  // namespace tg
