// Dropout (Srivastava et al. 2014), inverted — and the masked affine map it shares with
// alpha-dropout (alpha_dropout.cpp).
//   forward : y = x·m/(1−p),  m ~ Bernoulli(1−p), drawn per element     (training)
//             y = x, the very same tensor, and nothing is recorded        (eval)
//   backward: gx += gy·m/(1−p)
//   saves   : the gain g = m/(1−p) as a tensor of x's dtype (0 or 1/(1−p)): it *is* the
//             derivative, so backward is one multiply-add. x is not kept alive.
//   fused   : dropout sits on every hidden layer of the networks it regularises; a composite
//             (bernoulli, mul, mul_scalar) would make two temporaries of x's size.
//
// Both dropouts are one masked affine map: with d_i = [u_i < keep],
//     g_i = d_i · kept_gain,    y_i = g_i·x_i + (d_i ? kept_shift : dropped_value),   gx += gy·g
// — dropout is (1/(1−p), 0, 0), alpha-dropout (a, b, a·α' + b). Element i's uniform is
// uniform_at(seed, first + i), where `first` is reserved with gen.advance(numel): the mask is the
// same for any thread count and equals bernoulli(x.shape(), keep, gen) from the same generator
// state (Note [Counter-based randomness]). In eval mode the generator is not advanced.
#include <algorithm>

#include "autograd/tape.h"
#include "ops/dropout.h"
#include "tensor/parallel.h"
#include "tensor/simd.h"

namespace tg::kernels {

/// gain and y of elements [0, n), whose uniforms are counters first, first + 1, …
template <class Arch, class T>
void masked_affine_forward(std::uint64_t seed, std::uint64_t first, double keep, T kept_gain, T kept_shift,
                           T dropped_value, const T* x, T* gain, T* y, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B zero(T(0)), shift(kept_shift), dropped(dropped_value);
  double u[kUniformBlock];
  for (std::int64_t b = 0; b < n; b += kUniformBlock) {
    const std::int64_t m = std::min(kUniformBlock, n - b);
    uniform_block<Arch>(seed, first + static_cast<std::uint64_t>(b), m, u);  // one Philox call each
    for (std::int64_t i = 0; i < m; ++i) gain[b + i] = u[i] < keep ? kept_gain : T(0);
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

Tensor detail::masked_affine(const char* op, const Tensor& x, double keep, double kept_gain, double kept_shift,
                             double dropped_value, Generator& gen) {
  Tensor gain = empty_like(x), y = empty_like(x);
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>(x.numel())), seed = gen.seed();
  dispatch(x.dtype(), op, [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::masked_affine_forward<Arch>(seed, first + b, keep, static_cast<T>(kept_gain), static_cast<T>(kept_shift),
                                             static_cast<T>(dropped_value), x.data<T>() + b, gain.data<T>() + b,
                                             y.data<T>() + b, e - b);
      }, 8);  // cost: one Philox call per element, 8 or 16 at a time
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
  return detail::masked_affine("dropout", x, 1.0 - p, 1.0 / (1.0 - p), 0.0, 0.0, gen);
}

Tensor dropout(const Tensor& x, double p, bool training, std::uint64_t seed) {
  Generator gen(seed);
  return dropout(x, p, training, gen);
}

}  // namespace tg
#endif
