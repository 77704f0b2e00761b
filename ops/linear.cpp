// linear: y = x·Wᵀ + b, for x [batch, in_features], W [out_features, in_features], b [out_features].
//   forward : y[n, o] = Σ_i x[n, i]·W[o, i] + b[o]     one GEMM, Wᵀ read through strides
//   backward: gx += gy·W                                [batch, out]·[out, in]
//             gW += gyᵀ·x                               [out, batch]·[batch, in], gyᵀ through strides
//             gb += Σ_n gy[n, :]                        column sums, rows added in order (sum_columns)
//   saves   : nothing beyond its inputs (x for gW, W for gx).
//   fused   : every layer of an FNN runs it. matmul followed by a broadcast add would write y twice
//             and keep a [batch, out] temporary; here the bias is added in the GEMM's write-back.
#include "autograd/tape.h"
#include "ops/gemm.h"
#include "ops/matmul.h"
#include "ops/reduction.h"
#include "tensor/parallel.h"

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
      if (bias.defined() && bias.requires_grad()) {  // gb += Σ_n gy[n, :], the engine's column sum
        T* gb = grad_of(bias).data<T>();
        simd::with_isa([&]<class Arch>() {
          parallel_for(out_features, [&](std::int64_t begin, std::int64_t end) {
            kernels::sum_columns<Arch>(g + begin, batch, out_features, end - begin, 1.0, gb + begin, /*accumulate=*/true);
          }, batch);
        });
      }
    });
  };
  if (bias.defined()) record("linear", {x, weight, bias}, y, {}, backward);
  else record("linear", {x, weight}, y, {}, backward);  // the tape holds defined tensors only
  return y;
}

}  // namespace tg
