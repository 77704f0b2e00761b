// Dropout (Srivastava et al. 2014), inverted — and the masked affine map it shares with
// alpha-dropout (alpha_dropout.cpp).
//   forward : y = x·m/q,  m ~ Bernoulli(q), q ≈ 1−p, drawn per element      (training)
//             y = x, the very same tensor, and nothing is recorded        (eval)
//   backward: gx += gy·m/q
//   saves   : the gain g = m/q as a tensor of x's dtype (0 or 1/q): it *is* the
//             derivative, so backward is one multiply-add. x is not kept alive.
//   fused   : dropout sits on every hidden layer of the networks it regularises; a composite
//             (bernoulli, mul, mul_scalar) would make two temporaries of x's size.
//
// Both dropouts are one masked affine map: with d_i = [u_i < t],
//     g_i = d_i · kept_gain,    y_i = g_i·x_i + (d_i ? kept_shift : dropped_value),   gx += gy·g
// — dropout is (1/q, 0, 0), alpha-dropout (a, b, a·α' + b). u_i is element i's 16-bit draw
// (Note [Sixteen-bit draws] in tensor/random.h: counter first + i/8, where `first` is reserved
// with gen.advance(⌈numel/8⌉)), and t = round(keep·2^16), so an element is kept with probability
// q = t/2^16 exactly — the keep probability the scale 1/q and alpha-dropout's a and b are computed
// from. The mask is the same for any thread count and instruction set. In eval mode the
// generator is not advanced.
#include <algorithm>
#include <cmath>

#include "autograd/tape.h"
#include "ops/batch_split.h"
#include "ops/dropout.h"
#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg::kernels {

/// Elements decided per block: 256 Philox calls.
constexpr std::int64_t kMaskBlock = 2048;

/// gain and y of elements [0, n) of a mask whose element 0 has index 8·(first − first of the
/// mask): its draws are the halves of counters first, first + 1, … (n may end mid-counter).
template <class Arch, class T>
void masked_affine_forward(std::uint64_t seed, std::uint64_t first, std::uint32_t threshold, T kept_gain,
                           T kept_shift, T dropped_value, const T* x, T* gain, T* y, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B zero(T(0)), shift(kept_shift), dropped(dropped_value);
  alignas(64) std::uint16_t u[kMaskBlock];
  for (std::int64_t b = 0; b < n; b += kMaskBlock) {
    const std::int64_t m = std::min(kMaskBlock, n - b);
    halves_block<Arch>(seed, first + static_cast<std::uint64_t>(b / 8), (m + 7) / 8, u);
    for (std::int64_t i = 0; i < m; ++i) gain[b + i] = u[i] < threshold ? kept_gain : T(0);
    simd::map<Arch>(m, [&](const B& g, const B& v) { return xsimd::fma(g, v, xsimd::select(g > zero, shift, dropped)); },
                    y + b, gain + b, x + b);
  }
}
TG_KERNEL(masked_affine_forward)

/// gx[i] += gy[i]·gain[i].
template <class Arch, class T>
void masked_affine_backward(const T* gain, const T* gy, T* gx, std::int64_t n) {
  simd::map<Arch>(n, [](const auto& g, const auto& d, const auto& acc) { return xsimd::fma(d, g, acc); }, gx, gain, gy,
                  gx);
}
TG_KERNEL(masked_affine_backward)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {

detail::KeepThreshold detail::keep_threshold(double keep, const char* op) {
  const auto t = static_cast<std::uint32_t>(std::lround(keep * 65536.0));
  check(t >= 1, op, ": keep probability ", keep, " is below 2^-17, which 16-bit draws cannot represent");
  return {t, static_cast<double>(t) / 65536.0};
}

Tensor detail::masked_affine(const char* op, const Tensor& x, const KeepThreshold& keep, double kept_gain,
                             double kept_shift, double dropped_value, Generator& gen) {
  Tensor gain = empty_like(x), y = empty_like(x);
  // Under a batch split (ops/batch_split.h) the mask is the global batch's, keyed by global element
  // index: every rank reserves the whole batch's counters and starts at its first row's.
  const std::int64_t rows = x.dim() > 0 ? x.size(0) : 1, per_row = rows > 0 ? x.numel() / rows : 0;
  const std::int64_t offset = global_row_offset() * per_row;
  check(offset % 8 == 0, op, ": under a batch split a rank's first element ", offset,
        " must start a Philox counter (a multiple of 8 elements)");
  const std::uint64_t counters = (static_cast<std::uint64_t>(global_rows(rows) * per_row) + 7) / 8;  // 8 draws each
  const std::uint64_t first = gen.advance(counters) + static_cast<std::uint64_t>(offset / 8), seed = gen.seed();
  dispatch(x.dtype(), op, [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {  // b is a multiple of 16, so of 8
        kernels::masked_affine_forward<Arch>(seed, first + static_cast<std::uint64_t>(b / 8), keep.threshold,
                                             static_cast<T>(kept_gain), static_cast<T>(kept_shift),
                                             static_cast<T>(dropped_value), x.data<T>() + b, gain.data<T>() + b,
                                             y.data<T>() + b, e - b);
      }, 2);  // cost: a Philox call per eight elements, 8 or 16 calls at a time
    });
  });
  record(op, {x}, y, {gain}, [x, gain, op](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), op, [&]<class T>() {
      simd::with_isa([&]<class Arch>() {
        parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
          kernels::masked_affine_backward<Arch>(gain.data<T>() + b, gy.data<T>() + b, gx.data<T>() + b, e - b);
        });
      });
    });
  });
  return y;
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p < 1, "dropout: p ", p, " is outside [0, 1)");
  check_float_tensor(x, "dropout");
  if (!training) return x;  // identity: x's own gradient path is already the right one
  const detail::KeepThreshold keep = detail::keep_threshold(1.0 - p, "dropout");
  return detail::masked_affine("dropout", x, keep, 1.0 / keep.probability, 0.0, 0.0, gen);
}

Tensor dropout(const Tensor& x, double p, bool training, std::uint64_t seed) {
  Generator gen(seed);
  return dropout(x, p, training, gen);
}

}  // namespace tg
#endif
