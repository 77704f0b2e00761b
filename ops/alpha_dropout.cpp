// Alpha-dropout (Klambauer et al. 2017, PAPER.md §1): dropout for SELU networks. A dropped unit
// is set to SELU's saturation value α' = −λα instead of 0, and an affine map (a, b) restores
// the mean and variance the input had (in expectation).
//   forward : y = a·(x·d + α'(1−d)) + b,  d ~ Bernoulli(q = 1 − rate)   (training)
//               = a·x + b where kept, a·α' + b where dropped
//             y = x, the very same tensor, and nothing is recorded       (eval)
//   backward: gx += gy·a·d
//   saves   : g = a·d as a tensor of x's dtype (a or 0): the derivative itself, so backward is one
//             multiply-add and the forward's dropped value is recognised by g == 0. x is not kept.
//   fused   : it runs on every hidden layer of a regularised SNN; a composite would make four
//             temporaries of x's size.
//
// The mask uses the same counters as dropout: d_i = uniform_at(seed, first + i) < q with
// first = gen.advance(numel), so it doesn't depend on the thread count (Note [Counter-based
// randomness]). In eval mode the generator is not advanced.
#include <algorithm>
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/constants.h"
#include "ops/dropout.h"

namespace tg::kernels {

// gain[i] = a where the element is kept, else 0. One Philox call per element, eight at a time
// (uniform_fill).
template <class T>
void alpha_dropout_mask(std::uint64_t seed, std::uint64_t first, double keep, T a, T* gain, std::int64_t n) {
  double u[kUniformBlock];
  for (std::int64_t b = 0; b < n; b += kUniformBlock) {
    const std::int64_t m = std::min(kUniformBlock, n - b);
    uniform_fill(seed, first + static_cast<std::uint64_t>(b), m, u);
    for (std::int64_t i = 0; i < m; ++i) gain[b + i] = u[i] < keep ? a : T(0);
  }
}

// y = gain·x + b where kept (gain = a > 0), a·α' + b where dropped (gain = 0).
template <class T>
void alpha_dropout_forward(const T* x, const T* gain, T b, T dropped_value, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B zero(T(0)), kept_shift(b), dropped(dropped_value);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    B g = B::load_unaligned(gain + i);
    xsimd::fma(g, B::load_unaligned(x + i), xsimd::select(g > zero, kept_shift, dropped)).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = std::fma(gain[i], x[i], gain[i] > T(0) ? b : dropped_value);  // scalar tail
}

template <class T>
void alpha_dropout_backward(const T* gain, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::fma(B::load_unaligned(gy + i), B::load_unaligned(gain + i), B::load_unaligned(gx + i)).store_unaligned(gx + i);
  for (; i < n; ++i) gx[i] = std::fma(gy[i], gain[i], gx[i]);
}

}  // namespace tg::kernels

namespace tg {

AlphaDropoutCoefficients alpha_dropout_coefficients(double rate, double mu, double nu) {
  check(rate >= 0 && rate < 1, "alpha_dropout_coefficients: rate ", rate, " is outside [0, 1)");
  check(nu > 0, "alpha_dropout_coefficients: variance ", nu, " must be positive");
  const double q = 1 - rate, alpha_prime = -kSeluLambda<double> * kSeluAlpha<double>;
  // Var(x·d + α'(1−d)) = q·((1−q)(α'−μ)² + ν) and its mean is qμ + (1−q)α'; a and b map these
  // back to (μ, ν). At (0, 1) this is a = (q + α'²q(1−q))^(−1/2), b = −a(1−q)α'.
  const double a = std::sqrt(nu / (q * ((1 - q) * (alpha_prime - mu) * (alpha_prime - mu) + nu)));
  const double b = mu - a * (q * mu + (1 - q) * alpha_prime);
  return {a, b, alpha_prime};
}

Tensor alpha_dropout(const Tensor& x, double rate, bool training, Generator& gen) {
  check(rate >= 0 && rate < 1, "alpha_dropout: rate ", rate, " is outside [0, 1)");
  check(x.dtype() != DType::int64, "alpha_dropout: expected a float32 or float64 tensor, got ", describe(x));
  if (!training) return x;  // identity: x's own gradient path is already the right one

  const AlphaDropoutCoefficients c = alpha_dropout_coefficients(rate);
  Tensor gain = empty_like(x), y = empty_like(x);
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>(x.numel())), seed = gen.seed();
  dispatch(x.dtype(), "alpha_dropout", [&]<class T>() {
    parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
      kernels::alpha_dropout_mask(seed, first + b, 1 - rate, static_cast<T>(c.a), gain.data<T>() + b, e - b);
      kernels::alpha_dropout_forward(x.data<T>() + b, gain.data<T>() + b, static_cast<T>(c.b),
                                     static_cast<T>(c.a * c.alpha_prime + c.b), y.data<T>() + b, e - b);
    }, 8);  // cost: one Philox call per element, eight at a time
  });
  record("alpha_dropout", {x}, y, {gain}, [x, gain](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "alpha_dropout", [&]<class T>() {
      parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::alpha_dropout_backward(gain.data<T>() + b, gy.data<T>() + b, gx.data<T>() + b, e - b);
      });
    });
  });
  return y;
}

Tensor alpha_dropout(const Tensor& x, double rate, bool training, std::uint64_t seed) {
  Generator gen(seed);
  return alpha_dropout(x, rate, training, gen);
}

}  // namespace tg
