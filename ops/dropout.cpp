// Dropout (Srivastava et al. 2014), inverted: the scaling happens at training time.
//   forward : y = x·m/(1−p),  m ~ Bernoulli(1−p), drawn per element     (training)
//             y = x, the very same tensor, and nothing is recorded        (eval)
//   backward: gx += gy·m/(1−p)
//   saves   : the scaled mask s = m/(1−p) as a tensor of x's dtype (0 or 1/(1−p)): it *is* the
//             derivative, so backward is one multiply-add. x is not kept alive.
//   fused   : dropout sits on every hidden layer of the networks it regularises; a composite
//             (bernoulli, mul, mul_scalar) would make two temporaries of x's size.
//
// Element i of the mask is uniform_at(seed, first + i) < 1−p, where `first` is reserved with
// gen.advance(numel): the mask is the same for any thread count and equals
// bernoulli(x.shape(), 1−p, gen) from the same generator state (Note [Counter-based randomness]).
// In eval mode the generator is not advanced.
#include <algorithm>
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/dropout.h"

namespace tg::kernels {

// mask[i] = kept_value where the element is kept, else 0. One Philox call per element, eight at
// a time (uniform_fill).
template <class T>
void dropout_mask(std::uint64_t seed, std::uint64_t first, double keep, T kept_value, T* mask, std::int64_t n) {
  double u[kUniformBlock];
  for (std::int64_t b = 0; b < n; b += kUniformBlock) {
    const std::int64_t m = std::min(kUniformBlock, n - b);
    uniform_fill(seed, first + static_cast<std::uint64_t>(b), m, u);
    for (std::int64_t i = 0; i < m; ++i) mask[b + i] = u[i] < keep ? kept_value : T(0);
  }
}

template <class T>
void dropout_forward(const T* x, const T* mask, T* y, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    (B::load_unaligned(x + i) * B::load_unaligned(mask + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = x[i] * mask[i];  // scalar tail, same formula
}

template <class T>
void dropout_backward(const T* mask, const T* gy, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size)
    xsimd::fma(B::load_unaligned(gy + i), B::load_unaligned(mask + i), B::load_unaligned(gx + i)).store_unaligned(gx + i);
  for (; i < n; ++i) gx[i] = std::fma(gy[i], mask[i], gx[i]);
}

}  // namespace tg::kernels

namespace tg {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check(p >= 0 && p < 1, "dropout: p ", p, " is outside [0, 1)");
  check(x.dtype() != DType::int64, "dropout: expected a float32 or float64 tensor, got ", describe(x));
  if (!training) return x;  // identity: x's own gradient path is already the right one

  Tensor mask = empty_like(x), y = empty_like(x);
  const std::uint64_t first = gen.advance(static_cast<std::uint64_t>(x.numel())), seed = gen.seed();
  dispatch(x.dtype(), "dropout", [&]<class T>() {
    parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
      kernels::dropout_mask(seed, first + b, 1.0 - p, static_cast<T>(1.0 / (1.0 - p)), mask.data<T>() + b, e - b);
      kernels::dropout_forward(x.data<T>() + b, mask.data<T>() + b, y.data<T>() + b, e - b);
    }, 8);  // cost: one Philox call per element, eight at a time
  });
  record("dropout", {x}, y, {mask}, [x, mask](const Tensor& gy) {
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "dropout", [&]<class T>() {
      parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::dropout_backward(mask.data<T>() + b, gy.data<T>() + b, gx.data<T>() + b, e - b);
      });
    });
  });
  return y;
}

Tensor dropout(const Tensor& x, double p, bool training, std::uint64_t seed) {
  Generator gen(seed);
  return dropout(x, p, training, gen);
}

}  // namespace tg
