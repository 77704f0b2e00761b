// Checks that dropout and alpha_dropout share (tests/ops/test_dropout.cpp, test_alpha_dropout.cpp),
// for an op called as op(x, rate, training, generator or seed): eval mode, masks and seeds, the
// gradient, and the same bits with 1 and 2 threads.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "autograd/tape.h"
#include "support.h"

namespace tg::test {

/// Element i's 16-bit draw of a mask whose draws start at counter `first` (Note [Sixteen-bit
/// draws] in tensor/random.h), from the scalar philox().
inline std::uint32_t mask_draw(std::uint64_t seed, std::uint64_t first, std::uint64_t i) {
  const std::array<std::uint32_t, 4> w = philox(seed, first + i / 8);
  return (w[(i % 8) / 2] >> (16 * (i % 2))) & 0xFFFF;
}
/// The 16-bit threshold of a keep probability, and the probability it realises.
inline std::uint32_t keep_threshold(double keep) { return static_cast<std::uint32_t>(std::lround(keep * 65536.0)); }
inline double realised_keep(double keep) { return keep_threshold(keep) / 65536.0; }
/// Whether element i of that mask is kept.
inline bool mask_kept(std::uint64_t seed, std::uint64_t first, std::uint64_t i, double keep) {
  return mask_draw(seed, first, i) < keep_threshold(keep);
}
/// Counters a mask of n elements takes from its generator: eight draws each.
inline std::uint64_t mask_counters(std::int64_t n) { return (static_cast<std::uint64_t>(n) + 7) / 8; }

/// In eval mode the op returns its input, draws nothing from the generator and records nothing.
template <class Op>
void require_dropout_eval_is_identity(Op op, double rate) {
  tape().clear();
  Tensor x = random_tensor({3, 4});
  x.requires_grad(true);
  Generator gen(1, 7);
  Tensor y = op(x, rate, false, gen);
  CHECK(y.same(x));
  CHECK(gen.offset() == 7);  // eval draws nothing
  CHECK(tape().size() == 0);
}

/// The same seed gives the same mask; another seed, or a second draw from one generator, another.
template <class Op>
void require_dropout_masks_follow_the_seed(Op op, double rate) {
  Tensor x = random_tensor({1000}, DType::float32);
  auto y = [&](std::uint64_t seed) { return op(x, rate, true, seed).to_vector(); };
  CHECK(y(3) == y(3));
  CHECK(y(3) != y(4));
  Generator gen(3);
  Tensor first = op(x, rate, true, gen), second = op(x, rate, true, gen);
  CHECK(first.to_vector() != second.to_vector());
}

/// gradcheck in float64 for each rate; the generator is made inside f, so every evaluation
/// draws the same mask.
template <class Op>
void require_dropout_gradcheck(Op op, std::initializer_list<double> rates) {
  for (std::int64_t n : {1, 5, 37}) {
    for (double rate : rates) {
      Tensor x = random_tensor({n}, DType::float64, 13);
      x.requires_grad(true);
      INFO("n=" << n << " rate=" << rate);
      require_gradcheck([op, rate](const std::vector<Tensor>& in) {
        Generator gen(5);
        return op(in[0], rate, true, gen);
      }, {x});
    }
  }
}

/// Output and gradient have the same bits with 1 and 2 threads, on a size far past the parallel grain.
template <class Op>
void require_dropout_same_bits_across_threads(Op op, double rate) {
  Tensor x = random_tensor({300001}, DType::float32);
  x.requires_grad(true);
  Tensor gy = random_tensor({300001}, DType::float32, 8);
  require_same_bits_across_threads([&] {
    x.zero_grad();
    Tensor out = op(x, rate, true, std::uint64_t{11});
    backward(out, gy);
    return std::vector<Tensor>{out, x.grad()};
  });
}

}  // namespace tg::test
