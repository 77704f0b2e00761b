// sum and mean over all elements or a set of axes.
//   forward : y[j] = scale · Σ_{i ↦ j} x[i]        scale = 1 (sum) or 1/count (mean)
//   backward: gx[i] += scale · gy[j]              (a broadcast of gy back to x's shape)
//   saves   : nothing; the reduced axes are captured as a bit mask and the plan rebuilt from it.
// x is walked as [outer, reduced, inner] (Note [Reduction plans] in reduce_plan.h):
//   inner == 1: each output element is a contiguous row, summed in fixed blocks of kReduceBlock
//               whose partial sums are added in double, in order — so the full sum, which spreads
//               the same blocks over threads with parallel_reduce, has the same bits for any
//               thread count (Note [Deterministic reductions]);
//   inner  > 1: the output row is the sum of `reduced` rows, added with SIMD a few batches of
//               columns at a time — the bias-gradient pattern, Σ over axis 0 of [batch, features].
//               Each output element belongs to one thread and is summed in row order, so it is
//               deterministic too.
// An empty axes list reduces nothing (as NumPy's axis=()), so sum(x, {}) is a copy of x.
#include <algorithm>
#include <functional>
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "tensor/op_scope.h"
#include "autograd/tape.h"
#include "ops/reduce.h"
#include "ops/reduce_plan.h"
#include "ops/simd.h"

namespace tg {
namespace {
/// Batches one SIMD accumulator lane adds before its total moves into double (see sum_block).
constexpr std::int64_t kSumRun = 16;
}  // namespace
}  // namespace tg

namespace tg::kernels {

/// Σ x[0, n) for n ≤ kReduceBlock. Runs of kSumRun batches are added in four batch accumulators
/// of T, and each run's total is added in double: in float32 no lane adds more than kSumRun
/// values, which keeps the rounding error near kSumRun·ε instead of n/lanes·ε.
template <class T>
double sum_block(const T* x, std::int64_t n) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = B::size;
  double s = 0;
  std::int64_t i = 0;
  while (i + 4 * W <= n) {
    B a0 = B::load_unaligned(x + i), a1 = B::load_unaligned(x + i + W), a2 = B::load_unaligned(x + i + 2 * W),
      a3 = B::load_unaligned(x + i + 3 * W);
    const std::int64_t run_end = std::min(n, i + kSumRun * 4 * W);
    for (i += 4 * W; i + 4 * W <= run_end; i += 4 * W) {
      a0 += B::load_unaligned(x + i);
      a1 += B::load_unaligned(x + i + W);
      a2 += B::load_unaligned(x + i + 2 * W);
      a3 += B::load_unaligned(x + i + 3 * W);
    }
    s += static_cast<double>(simd::reduce_add((a0 + a1) + (a2 + a3)));
  }
  for (; i < n; ++i) s += x[i];
  return s;
}

/// Σ x[0, n) for any n: the blocks of Note [Deterministic reductions], added in order in double.
template <class T>
double sum_contiguous(const T* x, std::int64_t n) {
  double s = 0;
  for (std::int64_t b = 0; b < n; b += kReduceBlock) s += sum_block(x + b, std::min(kReduceBlock, n - b));
  return s;
}

/// y[i] = scale · Σ_r x[r·stride + i] for i < width: the column sums of `rows` rows. Four batches
/// of columns stay in registers while the rows stream past, so y is written once. Every column
/// is summed in row order whichever loop handles it, so the split between threads and the
/// SIMD/tail boundary do not change any bit.
template <class T>
void sum_rows(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, T scale, T* y) {
  using B = xsimd::batch<T>;
  constexpr std::int64_t W = B::size;
  std::int64_t i = 0;
  for (; i + 4 * W <= width; i += 4 * W) {
    B a0(T(0)), a1(T(0)), a2(T(0)), a3(T(0));
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* row = x + r * stride + i;
      a0 += B::load_unaligned(row);
      a1 += B::load_unaligned(row + W);
      a2 += B::load_unaligned(row + 2 * W);
      a3 += B::load_unaligned(row + 3 * W);
    }
    (a0 * B(scale)).store_unaligned(y + i);
    (a1 * B(scale)).store_unaligned(y + i + W);
    (a2 * B(scale)).store_unaligned(y + i + 2 * W);
    (a3 * B(scale)).store_unaligned(y + i + 3 * W);
  }
  for (; i + W <= width; i += W) {
    B a(T(0));
    for (std::int64_t r = 0; r < rows; ++r) a += B::load_unaligned(x + r * stride + i);
    (a * B(scale)).store_unaligned(y + i);
  }
  for (; i < width; ++i) {  // scalar tail, same order
    T a = T(0);
    for (std::int64_t r = 0; r < rows; ++r) a += x[r * stride + i];
    y[i] = a * scale;
  }
}

/// gx[i] += scale · gy[i] (kScalarGrad: gy[0] for every i) — the backward of a sum.
template <bool kScalarGrad, class T>
void sum_backward(const T* gy, T scale, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  const B s(scale);
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B g = kScalarGrad ? B(gy[0]) : B::load_unaligned(gy + i);
    xsimd::fma(s, g, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += scale * gy[kScalarGrad ? 0 : i];
}

}  // namespace tg::kernels

namespace tg {
namespace {

// One step on the [outer, reduced, inner] view: y[o, j] = scale · Σ_r x[o, r, j].
template <class T>
void sum_step(const T* x, T* y, std::int64_t outer, std::int64_t reduced, std::int64_t inner, double scale) {
  if (outer == 1 && inner == 1) {
    const double s = parallel_reduce(
        reduced, 0.0, [&](std::int64_t b, std::int64_t e) { return kernels::sum_block(x + b, e - b); }, std::plus<>());
    y[0] = static_cast<T>(s * scale);
  } else if (inner == 1) {
    parallel_for(outer, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t o = b; o < e; ++o) y[o] = static_cast<T>(kernels::sum_contiguous(x + o * reduced, reduced) * scale);
    }, reduced);
  } else {
    // Threads split the outer·inner outputs; a range may span several outer slices.
    parallel_for(outer * inner, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t j = b; j < e;) {
        const std::int64_t o = j / inner, column = j % inner, width = std::min(e - j, inner - column);
        kernels::sum_rows(x + o * reduced * inner + column, reduced, inner, width, static_cast<T>(scale), y + j);
        j += width;
      }
    }, reduced);
  }
}

Tensor reduce_sum(const Tensor& x, std::uint32_t mask, bool keepdim, bool mean, const char* op) {
  const ReducePlan plan = make_reduce_plan(x.shape(), mask, keepdim);
  const double scale = mean ? 1.0 / static_cast<double>(plan.count) : 1.0;
  OpScope scope(op);  // sum_over's kernel runs as "sum"; the profiler charges it to `op`
  Tensor y = sum_over(x, plan, scale);
  record(op, {x}, y, {}, [x, mask, scale, op](const Tensor& gy) {
    const ReducePlan plan = make_reduce_plan(x.shape(), mask, false);  // keepdim does not change the walk
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), op, [&]<class T>() {
      const T* g = gy.data<T>();
      T* d = gx.data<T>();
      broadcast_rows(plan, x.numel(), [&](std::int64_t xo, std::int64_t yo, std::int64_t length, bool last_reduced) {
        if (last_reduced)
          kernels::sum_backward<true>(g + yo, static_cast<T>(scale), d + xo, length);
        else
          kernels::sum_backward<false>(g + yo, static_cast<T>(scale), d + xo, length);
      });
    });
  });
  return y;
}

// Every axis of x, after the checks reduce_axis_mask makes.
std::uint32_t all_axes(const Tensor& x, const char* op) {
  reduce_axis_mask(x, {}, op);
  return (std::uint32_t{1} << x.dim()) - 1;
}

}  // namespace

std::uint32_t reduce_axis_mask(const Tensor& x, const std::vector<int>& axes, const char* op) {
  check(x.defined(), op, ": the input is undefined");
  check(x.dtype() != DType::int64, op, ": expected a float32 or float64 tensor, got ", describe(x));
  std::uint32_t mask = 0;
  for (int axis : axes) {
    const std::uint32_t bit = std::uint32_t{1} << checked_axis(x, axis, op);
    check(!(mask & bit), op, ": axis ", axis, " appears twice in the axes of ", describe(x));
    mask |= bit;
  }
  return mask;
}

ReducePlan make_reduce_plan(const Shape& shape, std::uint32_t mask, bool keepdim) {
  ReducePlan plan;
  for (int a = 0; a < shape.dim(); ++a) {
    const std::int64_t extent = shape[a];
    const bool reduced = mask >> a & 1;
    if (reduced) plan.count *= extent;
    if (!reduced || keepdim) plan.out_shape.push_back(reduced ? 1 : extent);
    if (extent == 1) continue;  // an axis of extent 1 changes no offsets
    if (plan.groups > 0 && plan.reduced[plan.groups - 1] == reduced) {
      plan.extent[plan.groups - 1] *= extent;
    } else {
      plan.extent[plan.groups] = extent;
      plan.reduced[plan.groups] = reduced;
      ++plan.groups;
    }
  }
  if (plan.groups == 0) {  // every extent is 1: a single element
    plan.extent[0] = 1;
    plan.reduced[0] = false;
    plan.groups = 1;
  }
  return plan;
}

Tensor sum_over(const Tensor& x, const ReducePlan& plan, double scale) {
  Tensor y = empty(plan.out_shape, x.dtype());
  dispatch(x.dtype(), "sum", [&]<class T>() {
    const int groups = plan.groups;
    const auto first = std::find(plan.reduced, plan.reduced + groups, true) - plan.reduced;
    if (first == groups) {  // nothing to reduce: a scaled copy
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      for (std::int64_t i = 0; i < x.numel(); ++i) dst[i] = static_cast<T>(src[i] * scale);
      return;
    }
    // Several reduced groups: reduce the innermost first; the scale is applied by the last step.
    std::int64_t extent[Shape::kMaxDims];
    std::copy(plan.extent, plan.extent + groups, extent);
    Tensor src = x;
    for (int g = groups - 1; g >= first; --g) {
      if (!plan.reduced[g]) continue;
      std::int64_t outer = 1, inner = 1;
      for (int k = 0; k < g; ++k) outer *= extent[k];
      for (int k = g + 1; k < groups; ++k) inner *= extent[k];
      Tensor dst = g == first ? y : empty({outer * inner}, x.dtype());
      sum_step(src.data<T>(), dst.data<T>(), outer, extent[g], inner, g == first ? scale : 1.0);
      extent[g] = 1;
      src = dst;
    }
  });
  return y;
}

Tensor sum(const Tensor& x) { return reduce_sum(x, all_axes(x, "sum"), false, false, "sum"); }
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce_sum(x, reduce_axis_mask(x, axes, "sum"), keepdim, false, "sum");
}
Tensor mean(const Tensor& x) { return reduce_sum(x, all_axes(x, "mean"), false, true, "mean"); }
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce_sum(x, reduce_axis_mask(x, axes, "mean"), keepdim, true, "mean");
}

}  // namespace tg
