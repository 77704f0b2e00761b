// Batch normalisation (Ioffe & Szegedy 2015) over axis 0 of x [batch, features].
//   forward : x̂ = (x − mean)·inv_std,  inv_std = 1/sqrt(var + eps),  y = γ·x̂ + β
//             training: mean and var are each feature's batch mean and biased variance; the
//                       running stats are then updated in place, unrecorded (they are buffers):
//                       running ← (1 − momentum)·running + momentum·stat, unbiased var for running_var
//             eval    : mean and var are running_mean and running_var, constants for backward
//   backward: training: gx += γ·inv_std/B·(B·gy − Σgy − x̂·Σ(gy·x̂))   (B = batch, sums over the batch)
//             eval    : gx += γ·inv_std·gy
//             both    : gγ += Σ gy·x̂,  gβ += Σ gy
//   saves   : mean and inv_std, [features] each; x is held as an input and x̂ recomputed from it.
//             In eval mode they are copies, so a later training step that updates the running
//             stats in place cannot change a backward that is still on the tape.
//   fused   : BatchNorm runs on every layer of the baseline networks and is numerically delicate
//             (two-pass variance; x − mean is formed before scaling, never x·scale − mean·scale).
//             The composite would make ~8 temporaries of x's size and 8 records per layer.
//
// Note [Per-feature sums]
// ~~~~~~~~~~~~~~~~~~~~~~~
// Every sum here runs over the batch for one feature. The kernels take a block of adjacent
// features (columns), hold one SIMD lane per feature and add the rows in order 0, 1, …, B−1.
// Work is split across threads by feature, never by row, so each feature's sum is the same
// sequence of additions for any thread count. parallel_for's blocks start at multiples of 16,
// so a feature also lands in the same SIMD lane or scalar tail; and the tail uses the same
// formula (std::fma where the vector code uses fma), so the bits match either way.
#include <cmath>
#include <xsimd/xsimd.hpp>

#include "autograd/parallel.h"
#include "autograd/tape.h"
#include "ops/norm.h"

namespace tg::kernels {

// Columns [0, width) of a row-major block whose rows are `stride` elements apart. Optional
// per-feature arrays are null when absent.

// Batch mean, biased variance (two passes) and inv_std = 1/sqrt(var + eps) of each column.
template <class T>
void batch_norm_statistics(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, T eps, T* mean,
                           T* var, T* inv_std) {
  using B = xsimd::batch<T>;
  const B n(static_cast<T>(rows)), one(T(1)), epsilon(eps);
  std::int64_t j = 0;
  for (; j + static_cast<std::int64_t>(B::size) <= width; j += B::size) {
    B sum(T(0)), squares(T(0));
    for (std::int64_t i = 0; i < rows; ++i) sum += B::load_unaligned(x + i * stride + j);
    const B m = sum / n;
    for (std::int64_t i = 0; i < rows; ++i) {
      const B d = B::load_unaligned(x + i * stride + j) - m;
      squares = xsimd::fma(d, d, squares);
    }
    const B v = squares / n;
    m.store_unaligned(mean + j);
    v.store_unaligned(var + j);
    (one / xsimd::sqrt(v + epsilon)).store_unaligned(inv_std + j);
  }
  for (; j < width; ++j) {  // scalar tail, same formula
    T sum(0), squares(0);
    for (std::int64_t i = 0; i < rows; ++i) sum += x[i * stride + j];
    const T m = sum / static_cast<T>(rows);
    for (std::int64_t i = 0; i < rows; ++i) {
      const T d = x[i * stride + j] - m;
      squares = std::fma(d, d, squares);
    }
    mean[j] = m;
    var[j] = squares / static_cast<T>(rows);
    inv_std[j] = T(1) / std::sqrt(var[j] + eps);
  }
}

// y = (x − mean)·(γ·inv_std) + β.
template <class T>
void batch_norm_forward(const T* x, const T* mean, const T* inv_std, const T* weight, const T* bias,
                        std::int64_t rows, std::int64_t stride, std::int64_t width, T* y) {
  using B = xsimd::batch<T>;
  std::int64_t j = 0;
  for (; j + static_cast<std::int64_t>(B::size) <= width; j += B::size) {
    const B m = B::load_unaligned(mean + j);
    const B scale = weight ? B::load_unaligned(weight + j) * B::load_unaligned(inv_std + j) : B::load_unaligned(inv_std + j);
    const B shift = bias ? B::load_unaligned(bias + j) : B(T(0));
    for (std::int64_t i = 0; i < rows; ++i)
      xsimd::fma(B::load_unaligned(x + i * stride + j) - m, scale, shift).store_unaligned(y + i * stride + j);
  }
  for (; j < width; ++j) {
    const T scale = weight ? weight[j] * inv_std[j] : inv_std[j], shift = bias ? bias[j] : T(0);
    for (std::int64_t i = 0; i < rows; ++i) y[i * stride + j] = std::fma(x[i * stride + j] - mean[j], scale, shift);
  }
}

// With x̂ = (x − mean)·inv_std: gγ += Σ gy·x̂, gβ += Σ gy, and
// gx += γ·inv_std·(gy − c1 − x̂·c2) with (c1, c2) = (Σgy, Σgy·x̂)/B under batch statistics, else 0.
template <class T>
void batch_norm_backward(const T* x, const T* gy, const T* mean, const T* inv_std, const T* weight,
                         bool batch_statistics, std::int64_t rows, std::int64_t stride, std::int64_t width, T* gx,
                         T* gweight, T* gbias) {
  using B = xsimd::batch<T>;
  const B n(static_cast<T>(rows)), zero(T(0));
  std::int64_t j = 0;
  for (; j + static_cast<std::int64_t>(B::size) <= width; j += B::size) {
    const B m = B::load_unaligned(mean + j), s = B::load_unaligned(inv_std + j);
    B sum_gy(T(0)), sum_gy_xhat(T(0));
    for (std::int64_t i = 0; i < rows; ++i) {
      const B g = B::load_unaligned(gy + i * stride + j);
      sum_gy += g;
      sum_gy_xhat = xsimd::fma(g, (B::load_unaligned(x + i * stride + j) - m) * s, sum_gy_xhat);
    }
    if (gweight) (B::load_unaligned(gweight + j) + sum_gy_xhat).store_unaligned(gweight + j);
    if (gbias) (B::load_unaligned(gbias + j) + sum_gy).store_unaligned(gbias + j);
    if (!gx) continue;
    const B scale = weight ? B::load_unaligned(weight + j) * s : s;
    const B c1 = batch_statistics ? sum_gy / n : zero, c2 = batch_statistics ? sum_gy_xhat / n : zero;
    for (std::int64_t i = 0; i < rows; ++i) {
      const B xhat = (B::load_unaligned(x + i * stride + j) - m) * s;
      const B t = xsimd::fnma(xhat, c2, B::load_unaligned(gy + i * stride + j) - c1);
      xsimd::fma(scale, t, B::load_unaligned(gx + i * stride + j)).store_unaligned(gx + i * stride + j);
    }
  }
  for (; j < width; ++j) {  // scalar tail, same formula
    T sum_gy(0), sum_gy_xhat(0);
    for (std::int64_t i = 0; i < rows; ++i) {
      sum_gy += gy[i * stride + j];
      sum_gy_xhat = std::fma(gy[i * stride + j], (x[i * stride + j] - mean[j]) * inv_std[j], sum_gy_xhat);
    }
    if (gweight) gweight[j] += sum_gy_xhat;
    if (gbias) gbias[j] += sum_gy;
    if (!gx) continue;
    const T scale = weight ? weight[j] * inv_std[j] : inv_std[j];
    const T c1 = batch_statistics ? sum_gy / static_cast<T>(rows) : T(0);
    const T c2 = batch_statistics ? sum_gy_xhat / static_cast<T>(rows) : T(0);
    for (std::int64_t i = 0; i < rows; ++i) {
      const T xhat = (x[i * stride + j] - mean[j]) * inv_std[j];
      gx[i * stride + j] = std::fma(scale, std::fma(-xhat, c2, gy[i * stride + j] - c1), gx[i * stride + j]);
    }
  }
}

}  // namespace tg::kernels

namespace tg {
namespace {

// Pointer to feature j of an optional per-feature array (null stays null).
template <class T>
T* column(T* p, std::int64_t j) {
  return p ? p + j : nullptr;
}
template <class T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  check(x.dim() == 2, "batch_norm: x is ", describe(x), ": expected [batch, features]");
  const std::int64_t batch = x.size(0), features = x.size(1);
  auto check_per_feature = [&](const Tensor& t, const char* name) {
    if (!t.defined()) return;
    check(t.shape() == Shape{features}, "batch_norm: x is ", x.shape(), ", ", name, " is ", t.shape(), ": expected [",
          features, "]");
    check(t.dtype() == x.dtype(), "batch_norm: x is ", describe(x), ", ", name, " is ", describe(t), ": dtypes differ");
  };
  check_per_feature(running_mean, "running_mean");
  check_per_feature(running_var, "running_var");
  check_per_feature(weight, "weight");
  check_per_feature(bias, "bias");
  check(running_mean.defined() == running_var.defined(), "batch_norm: running_mean is ",
        running_mean.defined() ? describe(running_mean) : "undefined", " but running_var is ",
        running_var.defined() ? describe(running_var) : "undefined", ": pass both or neither");
  check(training || running_mean.defined(), "batch_norm: x is ", x.shape(),
        ": eval mode normalises with running_mean and running_var, which are undefined");
  check(!training || batch > 1, "batch_norm: x is ", x.shape(),
        ": training needs a batch of at least 2 rows to estimate a variance");
  check(momentum >= 0 && momentum <= 1, "batch_norm: momentum ", momentum, " is outside [0, 1]");
  check(eps >= 0, "batch_norm: eps ", eps, " is negative");

  Tensor y = empty_like(x), mean = empty({features}, x.dtype()), inv_std = empty({features}, x.dtype());
  dispatch(x.dtype(), "batch_norm", [&]<class T>() {
    const T *xs = x.data<T>(), *w = data_or_null<T>(weight), *b = data_or_null<T>(bias);
    T *m = mean.data<T>(), *s = inv_std.data<T>();
    if (training) {
      Tensor var = empty({features}, x.dtype());
      T* v = var.data<T>();
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_statistics(xs + f0, batch, features, f1 - f0, static_cast<T>(eps), m + f0, v + f0, s + f0);
        kernels::batch_norm_forward(xs + f0, m + f0, s + f0, column(w, f0), column(b, f0), batch, features, f1 - f0,
                                    y.data<T>() + f0);
      }, 3 * batch);
      if (running_mean.defined()) {  // in place, unrecorded: buffers, not parameters
        T *rm = running_mean.data<T>(), *rv = running_var.data<T>();
        const double unbiased = static_cast<double>(batch) / static_cast<double>(batch - 1);
        for (std::int64_t j = 0; j < features; ++j) {
          rm[j] = static_cast<T>((1 - momentum) * rm[j] + momentum * m[j]);
          rv[j] = static_cast<T>((1 - momentum) * rv[j] + momentum * unbiased * v[j]);
        }
      }
    } else {
      const T *rm = running_mean.data<T>(), *rv = running_var.data<T>();
      for (std::int64_t j = 0; j < features; ++j) {
        m[j] = rm[j];
        s[j] = T(1) / std::sqrt(rv[j] + static_cast<T>(eps));
      }
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_forward(xs + f0, m + f0, s + f0, column(w, f0), column(b, f0), batch, features, f1 - f0,
                                    y.data<T>() + f0);
      }, batch);
    }
  });

  record("batch_norm", {x, weight, bias}, y, {mean, inv_std},
                [x, weight, bias, mean, inv_std, training](const Tensor& gy) {
    const std::int64_t batch = x.size(0), features = x.size(1);
    Tensor gx = x.requires_grad() ? grad_of(x) : Tensor();
    Tensor gw = weight.defined() && weight.requires_grad() ? grad_of(weight) : Tensor();
    Tensor gb = bias.defined() && bias.requires_grad() ? grad_of(bias) : Tensor();
    dispatch(x.dtype(), "batch_norm", [&]<class T>() {
      const T* w = data_or_null<T>(weight);
      T *gxs = data_or_null<T>(gx), *gws = data_or_null<T>(gw), *gbs = data_or_null<T>(gb);
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_backward(x.data<T>() + f0, gy.data<T>() + f0, mean.data<T>() + f0, inv_std.data<T>() + f0,
                                     column(w, f0), training, batch, features, f1 - f0, column(gxs, f0),
                                     column(gws, f0), column(gbs, f0));
      }, 3 * batch);
    });
  });
  return y;
}

}  // namespace tg
