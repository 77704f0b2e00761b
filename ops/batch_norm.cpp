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
// Every sum here runs over the batch for one feature: reduce_columns (Note [Per-feature sums] in
// ops/reduction.h), split across threads by feature, never by row, so each feature's sum is the
// same sequence of additions for any thread count.
#include <algorithm>
#include <cmath>
#include <functional>

#include "autograd/tape.h"
#include "ops/batch_split.h"
#include "ops/norm.h"
#include "ops/norm_common.h"
#include "ops/reduction.h"
#include "tensor/parallel.h"

namespace tg::kernels {

// Columns [0, width) of a row-major block whose rows are `stride` elements apart. Optional
// per-feature arrays are null when absent.

/// sums[j] = Σ_r x[r, j], the batch's fixed tree.
template <class Arch, class T>
void column_totals(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, T* sums) {
  using B = simd::Batch<T, Arch>;
  reduce_columns<Arch, T>(
      rows, width, B(T(0)), [&](const B& acc, std::int64_t r, const auto& c) { return acc + c.load(x + r * stride); },
      std::plus<>(), [&](const auto& c, const B& acc) { c.store(sums, acc); });
}
TG_KERNEL(column_totals)

/// sums[j] = Σ_r (x[r, j] − mean[j])², the second pass of a two-pass variance.
template <class Arch, class T>
void squared_deviation_totals(const T* x, const T* mean, std::int64_t rows, std::int64_t stride, std::int64_t width,
                              T* sums) {
  using B = simd::Batch<T, Arch>;
  reduce_columns<Arch, T>(
      rows, width, B(T(0)),
      [&](const B& acc, std::int64_t r, const auto& c) {
        const B d = c.load(x + r * stride) - c.load(mean);
        return xsimd::fma(d, d, acc);
      },
      std::plus<>(), [&](const auto& c, const B& acc) { c.store(sums, acc); });
}
TG_KERNEL(squared_deviation_totals)

/// y = (x − mean)·(γ·inv_std) + β.
template <class Arch, class T>
void batch_norm_forward(const T* x, const T* mean, const T* inv_std, const T* weight, const T* bias,
                        std::int64_t rows, std::int64_t stride, std::int64_t width, T* y) {
  using B = simd::Batch<T, Arch>;
  const auto gamma = optional_source(weight, kOne<T>), beta = optional_source(bias, kZero<T>);
  for (std::int64_t i = 0; i < rows; ++i)
    simd::map<Arch>(width, [](const B& v, const B& m, const B& s, const B& g, const B& b) {
      return xsimd::fma(v - m, g * s, b);
    }, y + i * stride, x + i * stride, mean, inv_std, gamma, beta);
}
TG_KERNEL(batch_norm_forward)

/// One block of features of batch_norm's backward: pointers start at the block's first
/// feature; weight, gx, gweight and gbias are null when absent.
template <class T>
struct BatchNormBackward {
  const T *x, *gy, *mean, *inv_std, *weight;
  std::int64_t rows, stride, width;
  T *gx, *gweight, *gbias;
};

/// With x̂ = (x − mean)·inv_std: gγ += Σ gy·x̂ and gβ += Σ gy over this block's rows, and the
/// two sums into sum_gy and sum_gy_xhat — which the op combines across ranks under a split
/// before batch_norm_backward_input uses them.
template <class Arch, class T>
void batch_norm_backward_sums(const BatchNormBackward<T>& p, T* sum_gy, T* sum_gy_xhat) {
  using B = simd::Batch<T, Arch>;
  struct Sums {
    B gy, gy_xhat;
  };
  reduce_columns<Arch, T>(
      p.rows, p.width, Sums{B(T(0)), B(T(0))},
      [&](const Sums& acc, std::int64_t r, const auto& c) {
        const B g = c.load(p.gy + r * p.stride), xhat = (c.load(p.x + r * p.stride) - c.load(p.mean)) * c.load(p.inv_std);
        return Sums{acc.gy + g, xsimd::fma(g, xhat, acc.gy_xhat)};
      },
      [](const Sums& a, const Sums& b) { return Sums{a.gy + b.gy, a.gy_xhat + b.gy_xhat}; },
      [&](const auto& c, const Sums& acc) {
        if (p.gweight) c.store(p.gweight, c.load(p.gweight) + acc.gy_xhat);
        if (p.gbias) c.store(p.gbias, c.load(p.gbias) + acc.gy);
        c.store(sum_gy, acc.gy);
        c.store(sum_gy_xhat, acc.gy_xhat);
      });
}
TG_KERNEL(batch_norm_backward_sums)

/// gx += γ·inv_std·(gy − c1 − x̂·c2), with (c1, c2) = (Σgy, Σgy·x̂)·scale: scale is 1/(global batch
/// rows) under batch statistics, 0 in eval mode (mean and inv_std then do not depend on x).
template <class Arch, class T>
void batch_norm_backward_input(const BatchNormBackward<T>& p, const T* sum_gy, const T* sum_gy_xhat, T scale) {
  using B = simd::Batch<T, Arch>;
  const B sb(scale);
  const auto gamma = optional_source(p.weight, kOne<T>);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    T* gx_row = p.gx + i * p.stride;
    simd::map<Arch>(p.width, [&](const B& v, const B& g, const B& m, const B& s, const B& w, const B& a, const B& b,
                                 const B& acc) {
      const B xhat = (v - m) * s;
      return xsimd::fma(w * s, xsimd::fma(-xhat, b * sb, g - a * sb), acc);
    }, gx_row, p.x + i * p.stride, p.gy + i * p.stride, p.mean, p.inv_std, gamma, sum_gy, sum_gy_xhat, gx_row);
  }
}
TG_KERNEL(batch_norm_backward_input)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  check_float_tensor(x, "batch_norm");
  check(x.dim() == 2, "batch_norm: x is ", describe(x), ": expected [batch, features]");
  const std::int64_t batch = x.size(0), features = x.size(1);
  check_per_feature("batch_norm", x, features, running_mean, "running_mean");
  check_per_feature("batch_norm", x, features, running_var, "running_var");
  check_per_feature("batch_norm", x, features, weight, "weight");
  check_per_feature("batch_norm", x, features, bias, "bias");
  check(running_mean.defined() == running_var.defined(), "batch_norm: running_mean is ",
        describe(running_mean), " but running_var is ",
        describe(running_var), ": pass both or neither");
  check(training || running_mean.defined(), "batch_norm: x is ", x.shape(),
        ": eval mode normalises with running_mean and running_var, which are undefined");
  check(!training || global_rows(batch) > 1, "batch_norm: x is ", x.shape(),
        ": training needs a batch of at least 2 rows to estimate a variance");
  check(momentum >= 0 && momentum <= 1, "batch_norm: momentum ", momentum, " is outside [0, 1]");
  check(eps >= 0, "batch_norm: eps ", eps, " is negative");

  Tensor y = empty_like(x), mean = empty({features}, x.dtype()), inv_std = empty({features}, x.dtype());
  dispatch(x.dtype(), "batch_norm", [&]<class T>() { simd::with_isa([&]<class Arch>() {
    const T *xs = x.data<T>(), *w = data_or_null<T>(weight), *b = data_or_null<T>(bias);
    T *m = mean.data<T>(), *s = inv_std.data<T>();
    if (training) {
      // Three passes, so the sums can be combined across ranks between them (ops/batch_split.h).
      const std::int64_t n = global_rows(batch);
      Tensor var = empty({features}, x.dtype());
      T* v = var.data<T>();
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::column_totals<Arch>(xs + f0, batch, features, f1 - f0, m + f0);
      }, batch);
      combine_across_ranks(m, features, "batch_norm");
      for (std::int64_t j = 0; j < features; ++j) m[j] = m[j] / static_cast<T>(n);
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::squared_deviation_totals<Arch>(xs + f0, m + f0, batch, features, f1 - f0, v + f0);
      }, batch);
      combine_across_ranks(v, features, "batch_norm");
      for (std::int64_t j = 0; j < features; ++j) {
        v[j] = v[j] / static_cast<T>(n);
        s[j] = T(1) / std::sqrt(v[j] + static_cast<T>(eps));
      }
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_forward<Arch>(xs + f0, m + f0, s + f0, column(w, f0), column(b, f0), batch, features, f1 - f0,
                                          y.data<T>() + f0);
      }, batch);
      if (running_mean.defined()) {  // in place, unrecorded: buffers, not parameters
        T *rm = running_mean.data<T>(), *rv = running_var.data<T>();
        const double unbiased = static_cast<double>(n) / static_cast<double>(n - 1);
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
        kernels::batch_norm_forward<Arch>(xs + f0, m + f0, s + f0, column(w, f0), column(b, f0), batch, features, f1 - f0,
                                          y.data<T>() + f0);
      }, batch);
    }
  }); });

  record("batch_norm", {x, weight, bias}, y, {mean, inv_std},
                [x, weight, bias, mean, inv_std, training](const Tensor& gy) {
    const std::int64_t batch = x.size(0), features = x.size(1);
    Tensor gx = x.requires_grad() ? grad_of(x) : Tensor();
    Tensor gw = weight.defined() && weight.requires_grad() ? grad_of(weight) : Tensor();
    Tensor gb = bias.defined() && bias.requires_grad() ? grad_of(bias) : Tensor();
    Tensor sums = empty({2, features}, x.dtype());  // Σgy and Σgy·x̂ per feature
    dispatch(x.dtype(), "batch_norm", [&]<class T>() { simd::with_isa([&]<class Arch>() {
      const T* w = data_or_null<T>(weight);
      T *gxs = data_or_null<T>(gx), *gws = data_or_null<T>(gw), *gbs = data_or_null<T>(gb);
      T *sum_gy = sums.data<T>(), *sum_gy_xhat = sum_gy + features;
      auto block = [&](std::int64_t f0, std::int64_t f1) {
        return kernels::BatchNormBackward<T>{
            .x = x.data<T>() + f0, .gy = gy.data<T>() + f0, .mean = mean.data<T>() + f0,
            .inv_std = inv_std.data<T>() + f0, .weight = column(w, f0),
            .rows = batch, .stride = features, .width = f1 - f0,
            .gx = column(gxs, f0), .gweight = column(gws, f0), .gbias = column(gbs, f0)};
      };
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_backward_sums<Arch>(block(f0, f1), sum_gy + f0, sum_gy_xhat + f0);
      }, 2 * batch);
      if (!gxs) return;
      // The parameters' gradients above are this rank's share; x's needs the whole batch's sums.
      if (training) combine_across_ranks(sum_gy, 2 * features, "batch_norm");
      const T scale = training ? T(1) / static_cast<T>(global_rows(batch)) : T(0);
      parallel_for(features, [&](std::int64_t f0, std::int64_t f1) {
        kernels::batch_norm_backward_input<Arch>(block(f0, f1), sum_gy + f0, sum_gy_xhat + f0, scale);
      }, batch);
    }); });
  });
  return y;
}

}  // namespace tg
#endif
