// Layer normalisation (Ba et al. 2016) over the last axis of x (F = x.size(−1) features per row).
//   forward : x̂ = (x − mean)·inv_std,  inv_std = 1/sqrt(var + eps),  y = γ·x̂ + β
//             mean and biased var of each row; γ, β of shape [F] are optional
//   backward: ĝ = γ·gy;  gx += inv_std/F·(F·ĝ − Σĝ − x̂·Σ(ĝ·x̂))   (sums over the row)
//             gγ += Σ gy·x̂,  gβ += Σ gy                        (sums over the rows)
//   saves   : mean and inv_std, one per row; x is held as an input and x̂ recomputed from it.
//   fused   : numerically delicate (two-pass variance, x − mean formed before scaling), and the
//             composite would make ~8 temporaries of x's size and 8 records per layer.
//
// Determinism: row statistics and gx are computed one row per thread; gγ and gβ are sums over
// rows, so that pass is split by feature instead and adds the rows in order (reduce_columns,
// Note [Per-feature sums] in ops/reduction.h).
#include <cmath>

#include "autograd/tape.h"
#include "ops/norm.h"
#include "ops/norm_common.h"
#include "ops/reduction.h"
#include "tensor/parallel.h"

namespace tg::kernels {

// Rows [0, rows) of x [rows, features]: mean, inv_std and y = (x − mean)·inv_std·γ + β.
template <class Arch, class T>
void layer_norm_forward(const T* x, std::int64_t rows, std::int64_t features, T eps, const T* weight, const T* bias,
                        T* mean, T* inv_std, T* y) {
  using B = simd::Batch<T, Arch>;
  const T n = static_cast<T>(features);
  const auto gamma = optional_source(weight, kOne<T>), beta = optional_source(bias, kZero<T>);
  for (std::int64_t r = 0; r < rows; ++r, x += features, y += features) {
    const T m = simd::sum_map<Arch, T>(features, [](const B& v) { return v; }, x) / n;
    const B mb(m);
    const T var = simd::sum_map<Arch, T>(features, [&](const B& v) { return (v - mb) * (v - mb); }, x) / n;
    const T s = T(1) / std::sqrt(var + eps);  // two passes: no cancellation
    mean[r] = m;
    inv_std[r] = s;
    const B sb(s);
    simd::map<Arch>(features, [&](const B& v, const B& g, const B& b) { return xsimd::fma(v - mb, g * sb, b); }, y, x,
                    gamma, beta);
  }
}
TG_KERNEL(layer_norm_forward)

// gx of rows [0, rows): with ĝ = γ·gy, gx += inv_std·(ĝ − Σĝ/F − x̂·Σ(ĝ·x̂)/F).
template <class Arch, class T>
void layer_norm_backward_input(const T* x, const T* gy, const T* mean, const T* inv_std, const T* weight,
                               std::int64_t rows, std::int64_t features, T* gx) {
  using B = simd::Batch<T, Arch>;
  const T n = static_cast<T>(features);
  const auto gamma = optional_source(weight, kOne<T>);
  for (std::int64_t r = 0; r < rows; ++r, x += features, gy += features, gx += features) {
    const B mb(mean[r]), sb(inv_std[r]);
    const B c1(simd::sum_map<Arch, T>(features, [](const B& w, const B& g) { return w * g; }, gamma, gy) / n);
    const B c2(simd::sum_map<Arch, T>(features, [&](const B& w, const B& g, const B& v) { return (w * g) * ((v - mb) * sb); },
                                      gamma, gy, x) / n);
    simd::map<Arch>(features, [&](const B& w, const B& g, const B& v, const B& acc) {
      const B xhat = (v - mb) * sb;
      return xsimd::fma(sb, xsimd::fnma(xhat, c2, w * g - c1), acc);
    }, gx, gamma, gy, x, gx);
  }
}
TG_KERNEL(layer_norm_backward_input)

// gγ += Σ_r gy·x̂ and gβ += Σ_r gy for columns [0, width) of rows that are `stride` apart.
template <class Arch, class T>
void layer_norm_backward_affine(const T* x, const T* gy, const T* mean, const T* inv_std, std::int64_t rows,
                                std::int64_t stride, std::int64_t width, T* gweight, T* gbias) {
  using B = simd::Batch<T, Arch>;
  struct Sums {
    B gy, gy_xhat;
  };
  reduce_columns<Arch, T>(
      rows, width, Sums{B(T(0)), B(T(0))},
      [&](const Sums& acc, std::int64_t r, const auto& c) {
        const B g = c.load(gy + r * stride);
        return Sums{acc.gy + g, xsimd::fma(g, (c.load(x + r * stride) - B(mean[r])) * B(inv_std[r]), acc.gy_xhat)};
      },
      [](const Sums& a, const Sums& b) { return Sums{a.gy + b.gy, a.gy_xhat + b.gy_xhat}; },
      [&](const auto& c, const Sums& acc) {
        if (gweight) c.store(gweight, c.load(gweight) + acc.gy_xhat);
        if (gbias) c.store(gbias, c.load(gbias) + acc.gy);
      });
}
TG_KERNEL(layer_norm_backward_affine)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  check_float_tensor(x, "layer_norm");
  check(x.dim() >= 1, "layer_norm: x is ", describe(x), ": expected at least one axis");
  const std::int64_t features = x.size(-1), rows = features > 0 ? x.numel() / features : 0;
  check_per_feature("layer_norm", x, features, weight, "weight");
  check_per_feature("layer_norm", x, features, bias, "bias");
  check(eps >= 0, "layer_norm: eps ", eps, " is negative");

  Tensor y = empty_like(x), mean = empty({rows}, x.dtype()), inv_std = empty({rows}, x.dtype());
  dispatch(x.dtype(), "layer_norm", [&]<class T>() { simd::with_isa([&]<class Arch>() {
    const T *w = data_or_null<T>(weight), *b = data_or_null<T>(bias);
    parallel_for(rows, [&](std::int64_t r0, std::int64_t r1) {
      kernels::layer_norm_forward<Arch>(x.data<T>() + r0 * features, r1 - r0, features, static_cast<T>(eps), w, b,
                                        mean.data<T>() + r0, inv_std.data<T>() + r0, y.data<T>() + r0 * features);
    }, 3 * features);
  }); });

  record("layer_norm", {x, weight, bias}, y, {mean, inv_std}, [x, weight, bias, mean, inv_std](const Tensor& gy) {
    const std::int64_t features = x.size(-1), rows = mean.numel();
    Tensor gw = weight.defined() && weight.requires_grad() ? grad_of(weight) : Tensor();
    Tensor gb = bias.defined() && bias.requires_grad() ? grad_of(bias) : Tensor();
    dispatch(x.dtype(), "layer_norm", [&]<class T>() { simd::with_isa([&]<class Arch>() {
      const T *xs = x.data<T>(), *g = gy.data<T>(), *m = mean.data<T>(), *s = inv_std.data<T>();
      if (x.requires_grad()) {
        T* gx = grad_of(x).data<T>();
        parallel_for(rows, [&](std::int64_t r0, std::int64_t r1) {
          kernels::layer_norm_backward_input<Arch>(xs + r0 * features, g + r0 * features, m + r0, s + r0,
                                                   data_or_null<T>(weight), r1 - r0, features, gx + r0 * features);
        }, 3 * features);
      }
      if (gw.defined() || gb.defined()) {
        T *gws = data_or_null<T>(gw), *gbs = data_or_null<T>(gb);
        parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
          kernels::layer_norm_backward_affine<Arch>(xs + f0, g + f0, m, s, rows, features, f1 - f0, column(gws, f0),
                                                    column(gbs, f0));
        }, 2 * rows);
      }
    }); });
  });
  return y;
}

}  // namespace tg
#endif
