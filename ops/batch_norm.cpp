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
// features (columns) and walk its rows in order 0, 1, …, B−1, adding each row slice into one
// accumulator per feature (a [width] array, SIMD lanes across features). Memory is thus read
// row after row, as it lies — walking one column block down all rows instead touches a new
// page per row and ran ~5× slower on [4096, 1024].
// Work is split across threads by feature, never by row, so each feature's sum is the same
// sequence of additions for any thread count. parallel_for's blocks start at multiples of 16,
// so a feature also lands in the same SIMD lane or scalar tail; and the tail uses the same
// formula (std::fma where the vector code uses fma), so the bits match either way.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/norm.h"

namespace tg::kernels {

// Columns [0, width) of a row-major block whose rows are `stride` elements apart. Optional
// per-feature arrays are null when absent. Rows are walked in order (Note [Per-feature sums]).

// out[j] = op(a[j], b[j], j) for j < width: SIMD batches, then a scalar tail with the same op
// (op is generic: it gets batches or scalars).
template <class T, class Op>
void row_op(T* out, const T* a, const T* b, std::int64_t width, Op op) {
  using B = xsimd::batch<T>;
  std::int64_t j = 0;
  for (; j + static_cast<std::int64_t>(B::size) <= width; j += B::size)
    op(B::load_unaligned(a + j), B::load_unaligned(b + j), j).store_unaligned(out + j);
  for (; j < width; ++j) out[j] = op(a[j], b[j], j);
}

// Feature j of a per-feature array, as a batch V or a scalar V.
template <class V, class T>
V at(const T* p, std::int64_t j) {
  if constexpr (std::is_same_v<V, T>) return p[j];
  else return V::load_unaligned(p + j);
}

// fma(a, b, c) for batches and scalars alike.
template <class V>
V fused(const V& a, const V& b, const V& c) {
  if constexpr (std::is_floating_point_v<V>) return std::fma(a, b, c);
  else return xsimd::fma(a, b, c);
}

// Batch mean, biased variance (two passes) and inv_std = 1/sqrt(var + eps) of each column.
template <class T>
void batch_norm_statistics(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, T eps, T* mean,
                           T* var, T* inv_std) {
  const T n = static_cast<T>(rows);
  std::fill(mean, mean + width, T(0));
  for (std::int64_t i = 0; i < rows; ++i)
    row_op(mean, mean, x + i * stride, width, [](auto acc, auto v, std::int64_t) { return acc + v; });
  for (std::int64_t j = 0; j < width; ++j) mean[j] = mean[j] / n;
  std::fill(var, var + width, T(0));
  for (std::int64_t i = 0; i < rows; ++i)
    row_op(var, var, x + i * stride, width, [mean](auto acc, auto v, std::int64_t j) {
      const auto d = v - at<decltype(v)>(mean, j);
      return fused(d, d, acc);
    });
  for (std::int64_t j = 0; j < width; ++j) {
    var[j] = var[j] / n;
    inv_std[j] = T(1) / std::sqrt(var[j] + eps);
  }
}

// y = (x − mean)·(γ·inv_std) + β.
template <class T>
void batch_norm_forward(const T* x, const T* mean, const T* inv_std, const T* weight, const T* bias,
                        std::int64_t rows, std::int64_t stride, std::int64_t width, T* y) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const T* xr = x + i * stride;
    row_op(y + i * stride, xr, xr, width, [=](auto v, auto, std::int64_t j) {
      using V = decltype(v);
      const V s = at<V>(inv_std, j), scale = weight ? at<V>(weight, j) * s : s;
      return fused(v - at<V>(mean, j), scale, bias ? at<V>(bias, j) : V(T(0)));
    });
  }
}

// With x̂ = (x − mean)·inv_std: gγ += Σ gy·x̂, gβ += Σ gy, and
// gx += γ·inv_std·(gy − c1 − x̂·c2) with (c1, c2) = (Σgy, Σgy·x̂)/B under batch statistics, else 0.
// `scratch` holds 2·width values: the two sums, then c1 and c2.
template <class T>
void batch_norm_backward(const T* x, const T* gy, const T* mean, const T* inv_std, const T* weight,
                         bool batch_statistics, std::int64_t rows, std::int64_t stride, std::int64_t width, T* gx,
                         T* gweight, T* gbias, T* scratch) {
  T *sum_gy = scratch, *sum_gy_xhat = scratch + width;
  std::fill(scratch, scratch + 2 * width, T(0));
  for (std::int64_t i = 0; i < rows; ++i) {
    const T* xr = x + i * stride;
    row_op(sum_gy, sum_gy, gy + i * stride, width, [](auto acc, auto g, std::int64_t) { return acc + g; });
    row_op(sum_gy_xhat, sum_gy_xhat, gy + i * stride, width, [=](auto acc, auto g, std::int64_t j) {
      using V = decltype(g);
      return fused(g, (at<V>(xr, j) - at<V>(mean, j)) * at<V>(inv_std, j), acc);
    });
  }
  for (std::int64_t j = 0; j < width; ++j) {
    if (gweight) gweight[j] = gweight[j] + sum_gy_xhat[j];
    if (gbias) gbias[j] = gbias[j] + sum_gy[j];
  }
  if (!gx) return;
  const T n = static_cast<T>(rows);
  T *c1 = sum_gy, *c2 = sum_gy_xhat;
  for (std::int64_t j = 0; j < width; ++j) {
    c1[j] = batch_statistics ? sum_gy[j] / n : T(0);
    c2[j] = batch_statistics ? sum_gy_xhat[j] / n : T(0);
  }
  for (std::int64_t i = 0; i < rows; ++i) {
    const T *xr = x + i * stride, *gr = gy + i * stride;
    row_op(gx + i * stride, gx + i * stride, gr, width, [=](auto acc, auto g, std::int64_t j) {
      using V = decltype(g);
      const V s = at<V>(inv_std, j), scale = weight ? at<V>(weight, j) * s : s;
      const V xhat = (at<V>(xr, j) - at<V>(mean, j)) * s;
      return fused(scale, fused(-xhat, at<V>(c2, j), g - at<V>(c1, j)), acc);
    });
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
        describe(running_mean), " but running_var is ",
        describe(running_var), ": pass both or neither");
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
    Tensor scratch = empty({2, features}, x.dtype());  // per-feature sums; each thread owns its columns
    dispatch(x.dtype(), "batch_norm", [&]<class T>() {
      const T* w = data_or_null<T>(weight);
      T *gxs = data_or_null<T>(gx), *gws = data_or_null<T>(gw), *gbs = data_or_null<T>(gb);
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_backward(x.data<T>() + f0, gy.data<T>() + f0, mean.data<T>() + f0, inv_std.data<T>() + f0,
                                     column(w, f0), training, batch, features, f1 - f0, column(gxs, f0),
                                     column(gws, f0), column(gbs, f0), scratch.data<T>() + 2 * f0);
      }, 3 * batch);
    });
  });
  return y;
}

}  // namespace tg
