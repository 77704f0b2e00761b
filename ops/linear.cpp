// linear: y = x·Wᵀ + b, for x [batch, in_features], W [out_features, in_features], b [out_features].
//   forward : y[n, o] = Σ_i x[n, i]·W[o, i] + b[o]     one GEMM, Wᵀ read through strides
//   backward: gx += gy·W                                [batch, out]·[out, in]
//             gW += gyᵀ·x                               [out, batch]·[batch, in], gyᵀ through strides
//             gb += Σ_n gy[n, :]                        column sums, rows added in order
//   saves   : nothing beyond its inputs (x for gW, W for gx).
//   fused   : every layer of an FNN runs it. matmul followed by a broadcast add would write y twice
//             and keep a [batch, out] temporary; here the bias is added in the GEMM's write-back.
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/gemm.h"
#include "ops/matmul.h"

namespace tg::kernels {

/// gb[j] += Σ_n gy[n, j] for j in [begin, end), gy [batch, out_features]. Rows are added one
/// after another, so each column's sum has one fixed order whatever the column split.
template <class T>
void linear_bias_backward(const T* gy, T* gb, std::int64_t batch, std::int64_t out_features, std::int64_t begin,
                          std::int64_t end) {
  using B = xsimd::batch<T>;
  for (std::int64_t n = 0; n < batch; ++n) {
    const T* row = gy + n * out_features;
    std::int64_t j = begin;
    for (; j + static_cast<std::int64_t>(B::size) <= end; j += B::size)
      (B::load_unaligned(gb + j) + B::load_unaligned(row + j)).store_unaligned(gb + j);
    for (; j < end; ++j) gb[j] = gb[j] + row[j];  // scalar tail, same formula
  }
}

}  // namespace tg::kernels

namespace tg {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  // The message prefix is built only when a check fails: linear runs on every layer of every step.
  auto fail = [&](const auto&... why) {
    throw Error(cat("linear: x is ", describe(x), ", weight is ", describe(weight),
                    bias.defined() ? cat(", bias is ", describe(bias)) : std::string(), ": ", why...));
  };
  if (x.dim() != 2) fail("x must be 2-D [batch, in_features]");
  if (weight.dim() != 2) fail("weight must be 2-D [out_features, in_features]");
  const std::int64_t batch = x.size(0), in_features = x.size(1), out_features = weight.size(0);
  if (weight.size(1) != in_features) fail("in_features ", in_features, " of x and ", weight.size(1), " of weight differ");
  if (weight.dtype() != x.dtype()) fail("dtypes differ");
  if (bias.defined()) {
    if (bias.shape() != Shape{out_features}) fail("bias must be [", out_features, "]");
    if (bias.dtype() != x.dtype()) fail("dtypes differ");
  }

  Tensor y = empty({batch, out_features}, x.dtype());
  dispatch(x.dtype(), "linear", [&]<class T>() {
    kernels::gemm<T>(batch, out_features, in_features, x.data<T>(), in_features, 1, weight.data<T>(), 1, in_features,
                     y.data<T>(), out_features, /*accumulate=*/false, bias.defined() ? bias.data<T>() : nullptr);
  });
  auto backward = [x, weight, bias](const Tensor& gy) {
    const std::int64_t batch = x.size(0), in_features = x.size(1), out_features = weight.size(0);
    dispatch(x.dtype(), "linear", [&]<class T>() {
      const T* g = gy.data<T>();
      if (x.requires_grad())  // gx += gy·W
        kernels::gemm<T>(batch, in_features, out_features, g, out_features, 1, weight.data<T>(), in_features, 1,
                         grad_of(x).data<T>(), in_features, /*accumulate=*/true);
      if (weight.requires_grad())  // gW += gyᵀ·x
        kernels::gemm<T>(out_features, in_features, batch, g, 1, out_features, x.data<T>(), in_features, 1,
                         grad_of(weight).data<T>(), in_features, /*accumulate=*/true);
      if (bias.defined() && bias.requires_grad()) {
        T* gb = grad_of(bias).data<T>();
        parallel_for(out_features, [&](std::int64_t begin, std::int64_t end) {
          kernels::linear_bias_backward(g, gb, batch, out_features, begin, end);
        }, batch);
      }
    });
  };
  if (bias.defined()) record("linear", {x, weight, bias}, y, {}, backward);
  else record("linear", {x, weight}, y, {}, backward);  // the tape holds defined tensors only
  return y;
}

}  // namespace tg
