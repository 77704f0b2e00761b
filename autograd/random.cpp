#include "autograd/random.h"

#include <Random123/philox.h>

#include <cmath>
#include <numbers>

#include "autograd/parallel.h"

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

template <class Fn>
Tensor fill_random(const Shape& shape, Generator& gen, DType dtype, const char* op, Fn&& value_at) {
  Tensor t = empty(shape, dtype);
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>(t.numel()));
  const std::uint64_t seed = gen.seed();
  dispatch(dtype, op, [&]<class T>() {
    T* out = t.data<T>();
    parallel_for(
        t.numel(),
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t i = begin; i < end; ++i) out[i] = static_cast<T>(value_at(seed, first + i));
        },
        64);
  });
  return t;
}
}  // namespace

double uniform_at(std::uint64_t seed, std::uint64_t counter) {
  auto w = philox(seed, counter);
  return to_open_unit(w[0], w[1]);
}

double normal_at(std::uint64_t seed, std::uint64_t counter) {
  auto w = philox(seed, counter);
  const double u1 = to_open_unit(w[0], w[1]), u2 = to_open_unit(w[2], w[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

Tensor randn(const Shape& shape, Generator& gen, DType dtype, double mean, double std) {
  return fill_random(shape, gen, dtype, "randn",
                     [=](std::uint64_t s, std::uint64_t c) { return mean + std * normal_at(s, c); });
}

Tensor rand(const Shape& shape, Generator& gen, DType dtype, double low, double high) {
  check(low < high, "rand: low ", low, " must be below high ", high);
  return fill_random(shape, gen, dtype, "rand",
                     [=](std::uint64_t s, std::uint64_t c) { return low + (high - low) * uniform_at(s, c); });
}

Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dtype) {
  check(p >= 0 && p <= 1, "bernoulli: probability ", p, " is outside [0, 1]");
  return fill_random(shape, gen, dtype, "bernoulli",
                     [=](std::uint64_t s, std::uint64_t c) { return uniform_at(s, c) < p ? 1.0 : 0.0; });
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
