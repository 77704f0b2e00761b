// The reduction engine (ops/reduction.h): plans, sum_over, and the two sum kernels every
// reduction shares — contiguous rows summed in double, and columns summed in rows' order.
//   rows   : sum_contiguous adds fixed blocks of kReduceBlock elements; inside a block, runs of
//            kSumRun batches go into four batch accumulators of T and each run's total into
//            double, so in float32 no lane adds more than kSumRun values (rounding error near
//            kSumRun·ε instead of n/lanes·ε). The full sum spreads the same blocks over threads
//            with parallel_reduce: the same bits for any thread count.
//   columns: sum_columns is reduce_columns (Note [Per-feature sums]) with a plain add: each
//            output element belongs to one thread and is summed in row order.
#include "ops/reduction.h"

#include <algorithm>
#include <functional>

#include "tensor/op_scope.h"

namespace tg::kernels {
namespace {
/// Batches one SIMD accumulator lane adds before its total moves into double.
constexpr std::int64_t kSumRun = 16;

/// Σ x[0, n) for n ≤ kReduceBlock (see the header comment).
template <class Arch, class T>
double sum_block(const T* x, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
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
}  // namespace

template <class Arch, class T>
double sum_contiguous(const T* x, std::int64_t n) {
  double s = 0;
  for (std::int64_t b = 0; b < n; b += kReduceBlock) s += sum_block<Arch>(x + b, std::min(kReduceBlock, n - b));
  return s;
}
TG_KERNEL(sum_contiguous)

template <class Arch, class T>
void sum_columns(const T* x, std::int64_t rows, std::int64_t stride, std::int64_t width, double scale, T* y,
                 bool accumulate) {
  using B = simd::Batch<T, Arch>;
  const B s(static_cast<T>(scale));
  reduce_columns<Arch, T>(
      rows, width, B(T(0)), [&](const B& acc, std::int64_t r, const auto& cols) { return acc + cols.load(x + r * stride); },
      std::plus<>(), [&](const auto& cols, const B& acc) { cols.store(y, accumulate ? cols.load(y) + acc * s : acc * s); });
}
TG_KERNEL(sum_columns)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
namespace {

// One step on the [outer, reduced, inner] view: y[o, j] = scale · Σ_r x[o, r, j].
template <class Arch, class T>
void sum_step(const T* x, T* y, std::int64_t outer, std::int64_t reduced, std::int64_t inner, double scale) {
  if (outer == 1 && inner == 1) {
    const double s = parallel_reduce(
        reduced, 0.0, [&](std::int64_t b, std::int64_t e) { return kernels::sum_contiguous<Arch>(x + b, e - b); },
        std::plus<>());
    y[0] = static_cast<T>(s * scale);
  } else if (inner == 1) {
    parallel_for(outer, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t o = b; o < e; ++o)
        y[o] = static_cast<T>(kernels::sum_contiguous<Arch>(x + o * reduced, reduced) * scale);
    }, reduced);
  } else {
    // Threads split the outer·inner outputs; a range may span several outer slices.
    parallel_for(outer * inner, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t j = b; j < e;) {
        const std::int64_t o = j / inner, column = j % inner, width = std::min(e - j, inner - column);
        kernels::sum_columns<Arch>(x + o * reduced * inner + column, reduced, inner, width, scale, y + j, false);
        j += width;
      }
    }, reduced);
  }
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

std::uint32_t broadcast_mask(const Shape& from, const Shape& to, const char* op) {
  const int d = from.dim(), lead = d - to.dim();
  bool ok = lead >= 0;
  std::uint32_t mask = 0;
  for (int i = 0; ok && i < d; ++i) {
    const std::int64_t target = i < lead ? 1 : to[i - lead];
    ok = target == from[i] || target == 1;
    if (target == 1 && from[i] != 1) mask |= std::uint32_t{1} << i;
  }
  check(ok, op, ": cannot sum ", from, " to ", to, ": ", to, " does not broadcast to ", from);
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
    simd::with_isa([&]<class Arch>() {
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
        sum_step<Arch>(src.data<T>(), dst.data<T>(), outer, extent[g], inner, g == first ? scale : 1.0);
        extent[g] = 1;
        src = dst;
      }
    });
  });
  return y;
}

}  // namespace tg
#endif
