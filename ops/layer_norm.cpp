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
// rows, so that pass is split by feature instead and adds the rows in order — the same scheme
// as Note [Per-feature sums] in batch_norm.cpp.
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/norm.h"
#include "ops/simd.h"

namespace tg::kernels {

// Σ f(k) over one row: one SIMD accumulator, reduced, then the scalar tail added in order.
template <class T, class Vector, class Scalar>
T row_sum(std::int64_t features, Vector&& vector_term, Scalar&& scalar_term) {
  using B = xsimd::batch<T>;
  B acc(T(0));
  std::int64_t k = 0;
  for (; k + static_cast<std::int64_t>(B::size) <= features; k += B::size) acc += vector_term(k);
  T sum = simd::reduce_add(acc);
  for (; k < features; ++k) sum += scalar_term(k);
  return sum;
}

// Rows [0, rows) of x [rows, features]: mean, inv_std and y = (x − mean)·inv_std·γ + β.
template <class T>
void layer_norm_forward(const T* x, std::int64_t rows, std::int64_t features, T eps, const T* weight, const T* bias,
                        T* mean, T* inv_std, T* y) {
  using B = xsimd::batch<T>;
  const T n = static_cast<T>(features);
  for (std::int64_t r = 0; r < rows; ++r, x += features, y += features) {
    auto x_vec = [&](std::int64_t k) { return B::load_unaligned(x + k); };
    auto x_at = [&](std::int64_t k) { return x[k]; };
    const T m = row_sum<T>(features, x_vec, x_at) / n;
    const B mv(m);
    auto square_vec = [&](std::int64_t k) { return (x_vec(k) - mv) * (x_vec(k) - mv); };
    auto square_at = [&](std::int64_t k) { return (x[k] - m) * (x[k] - m); };
    const T var = row_sum<T>(features, square_vec, square_at) / n;  // two passes: no cancellation
    const T s = T(1) / std::sqrt(var + eps);
    mean[r] = m;
    inv_std[r] = s;
    const B sv(s);
    std::int64_t k = 0;
    for (; k + static_cast<std::int64_t>(B::size) <= features; k += B::size) {
      const B scale = weight ? B::load_unaligned(weight + k) * sv : sv;
      const B shift = bias ? B::load_unaligned(bias + k) : B(T(0));
      xsimd::fma(B::load_unaligned(x + k) - mv, scale, shift).store_unaligned(y + k);
    }
    for (; k < features; ++k)  // scalar tail, same formula
      y[k] = std::fma(x[k] - m, weight ? weight[k] * s : s, bias ? bias[k] : T(0));
  }
}

// gx of rows [0, rows): with ĝ = γ·gy, gx += inv_std·(ĝ − Σĝ/F − x̂·Σ(ĝ·x̂)/F).
template <class T>
void layer_norm_backward_input(const T* x, const T* gy, const T* mean, const T* inv_std, const T* weight,
                               std::int64_t rows, std::int64_t features, T* gx) {
  using B = xsimd::batch<T>;
  const T n = static_cast<T>(features);
  for (std::int64_t r = 0; r < rows; ++r, x += features, gy += features, gx += features) {
    const T m = mean[r], s = inv_std[r];
    const B mv(m), sv(s);
    auto g_vec = [&](std::int64_t k) {
      return weight ? B::load_unaligned(weight + k) * B::load_unaligned(gy + k) : B::load_unaligned(gy + k);
    };
    auto g_at = [&](std::int64_t k) { return weight ? weight[k] * gy[k] : gy[k]; };
    const T c1 = row_sum<T>(features, g_vec, g_at) / n;
    auto g_xhat_vec = [&](std::int64_t k) { return g_vec(k) * ((B::load_unaligned(x + k) - mv) * sv); };
    auto g_xhat_at = [&](std::int64_t k) { return g_at(k) * ((x[k] - m) * s); };
    const T c2 = row_sum<T>(features, g_xhat_vec, g_xhat_at) / n;
    const B c1v(c1), c2v(c2);
    std::int64_t k = 0;
    for (; k + static_cast<std::int64_t>(B::size) <= features; k += B::size) {
      const B xhat = (B::load_unaligned(x + k) - mv) * sv;
      xsimd::fma(sv, xsimd::fnma(xhat, c2v, g_vec(k) - c1v), B::load_unaligned(gx + k)).store_unaligned(gx + k);
    }
    for (; k < features; ++k) gx[k] = std::fma(s, std::fma(-((x[k] - m) * s), c2, g_at(k) - c1), gx[k]);
  }
}

// gγ += Σ_r gy·x̂ and gβ += Σ_r gy for columns [0, width) of rows that are `stride` apart;
// rows added in order (Note [Per-feature sums] in batch_norm.cpp).
template <class T>
void layer_norm_backward_affine(const T* x, const T* gy, const T* mean, const T* inv_std, std::int64_t rows,
                                std::int64_t stride, std::int64_t width, T* gweight, T* gbias) {
  using B = xsimd::batch<T>;
  std::int64_t j = 0;
  for (; j + static_cast<std::int64_t>(B::size) <= width; j += B::size) {
    B sum_gy(T(0)), sum_gy_xhat(T(0));
    for (std::int64_t r = 0; r < rows; ++r) {
      const B g = B::load_unaligned(gy + r * stride + j);
      sum_gy += g;
      sum_gy_xhat = xsimd::fma(g, (B::load_unaligned(x + r * stride + j) - B(mean[r])) * B(inv_std[r]), sum_gy_xhat);
    }
    if (gweight) (B::load_unaligned(gweight + j) + sum_gy_xhat).store_unaligned(gweight + j);
    if (gbias) (B::load_unaligned(gbias + j) + sum_gy).store_unaligned(gbias + j);
  }
  for (; j < width; ++j) {  // scalar tail, same formula
    T sum_gy(0), sum_gy_xhat(0);
    for (std::int64_t r = 0; r < rows; ++r) {
      sum_gy += gy[r * stride + j];
      sum_gy_xhat = std::fma(gy[r * stride + j], (x[r * stride + j] - mean[r]) * inv_std[r], sum_gy_xhat);
    }
    if (gweight) gweight[j] += sum_gy_xhat;
    if (gbias) gbias[j] += sum_gy;
  }
}

}  // namespace tg::kernels

namespace tg {
namespace {

template <class T>
T* column(T* p, std::int64_t j) {
  return p ? p + j : nullptr;
}
template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  check(x.dim() >= 1, "layer_norm: x is ", describe(x), ": expected at least one axis");
  const std::int64_t features = x.size(-1), rows = features > 0 ? x.numel() / features : 0;
  auto check_per_feature = [&](const Tensor& t, const char* name) {
    if (!t.defined()) return;
    check(t.shape() == Shape{features}, "layer_norm: x is ", x.shape(), ", ", name, " is ", t.shape(), ": expected [",
          features, "]");
    check(t.dtype() == x.dtype(), "layer_norm: x is ", describe(x), ", ", name, " is ", describe(t), ": dtypes differ");
  };
  check_per_feature(weight, "weight");
  check_per_feature(bias, "bias");
  check(eps >= 0, "layer_norm: eps ", eps, " is negative");

  Tensor y = empty_like(x), mean = empty({rows}, x.dtype()), inv_std = empty({rows}, x.dtype());
  dispatch(x.dtype(), "layer_norm", [&]<class T>() {
    const T *w = data_or_null<T>(weight), *b = data_or_null<T>(bias);
    parallel_for(rows, [&](std::int64_t r0, std::int64_t r1) {
      kernels::layer_norm_forward(x.data<T>() + r0 * features, r1 - r0, features, static_cast<T>(eps), w, b,
                                  mean.data<T>() + r0, inv_std.data<T>() + r0, y.data<T>() + r0 * features);
    }, 3 * features);
  });

  record("layer_norm", {x, weight, bias}, y, {mean, inv_std}, [x, weight, bias, mean, inv_std](const Tensor& gy) {
    const std::int64_t features = x.size(-1), rows = mean.numel();
    Tensor gw = weight.defined() && weight.requires_grad() ? grad_of(weight) : Tensor();
    Tensor gb = bias.defined() && bias.requires_grad() ? grad_of(bias) : Tensor();
    dispatch(x.dtype(), "layer_norm", [&]<class T>() {
      const T *xs = x.data<T>(), *g = gy.data<T>(), *m = mean.data<T>(), *s = inv_std.data<T>();
      if (x.requires_grad()) {
        T* gx = grad_of(x).data<T>();
        parallel_for(rows, [&](std::int64_t r0, std::int64_t r1) {
          kernels::layer_norm_backward_input(xs + r0 * features, g + r0 * features, m + r0, s + r0,
                                             data_or_null<T>(weight), r1 - r0, features, gx + r0 * features);
        }, 3 * features);
      }
      if (gw.defined() || gb.defined()) {
        T *gws = data_or_null<T>(gw), *gbs = data_or_null<T>(gb);
        parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
          kernels::layer_norm_backward_affine(xs + f0, g + f0, m, s, rows, features, f1 - f0, column(gws, f0),
                                              column(gbs, f0));
        }, 2 * rows);
      }
    });
  });
  return y;
}

}  // namespace tg
