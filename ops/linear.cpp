// linear: y = x·Wᵀ + b, for x [batch, in_features], W [out_features, in_features], b [out_features].
//   forward : y[n, o] = Σ_i x[n, i]·W[o, i] + b[o]     one GEMM, Wᵀ read through strides
//   backward: gx += gy·W                                [batch, out]·[out, in]
//             gW += gyᵀ·x                               [out, batch]·[batch, in], gyᵀ through strides, the
//                                                       batch summed as a fixed tree (Note [Batch sums
//                                                       in a fixed tree] in tensor/parallel.h)
//             gb += Σ_n gy[n, :]                        column sums, rows added in order (sum_columns)
//   saves   : nothing beyond its inputs (x for gW, W for gx); with a fused activation also y, for
//             ∂L/∂z = gy·act'(y) before the three products above.
//   fused   : every layer of an FNN runs it. matmul followed by a broadcast add would write y twice
//             and keep a [batch, out] temporary; here the bias is added in the GEMM's write-back —
//             and so is relu or selu (linear(x, w, b, Activation::selu)), once the sum is complete:
//             Linear→SELU, every layer of an SNN, writes its output once.
#include "autograd/tape.h"
#include "ops/gemm.h"
#include "ops/matmul.h"
#include "ops/activations.h"
#include "ops/reduction.h"
#include "tensor/parallel.h"

namespace tg {

namespace {

// gx += g·W, gW += gᵀ·x, gb += Σ_n g[n, :] — the backward of y = x·Wᵀ + b, given g = ∂L/∂y.
void linear_backward(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& g_tensor) {
  const std::int64_t batch = x.size(0), in_features = x.size(1), out_features = weight.size(0);
  // A first contribution is written, not added to a zero-filled slot (grad_slot).
  bool fresh = false;
  dispatch(x.dtype(), "linear", [&]<class T>() {
    const T* g = g_tensor.data<T>();
    if (x.requires_grad()) {  // gx += gy·W
      T* gx = grad_slot(x, fresh).data<T>();
      kernels::gemm<T>(batch, in_features, out_features, g, out_features, 1, weight.data<T>(), in_features, 1, gx,
                       in_features, /*accumulate=*/!fresh);
    }
    if (weight.requires_grad()) {  // gW += gyᵀ·x
      T* gw = grad_slot(weight, fresh).data<T>();
      kernels::gemm<T>(out_features, in_features, batch, g, 1, out_features, x.data<T>(), in_features, 1, gw,
                       in_features, /*accumulate=*/!fresh, nullptr, Activation::none, kBatchSegment);
    }
    if (bias.defined() && bias.requires_grad()) {  // gb += Σ_n gy[n, :], the engine's column sum
      T* gb = grad_slot(bias, fresh).data<T>();
      simd::with_isa([&]<class Arch>() {
        parallel_for(out_features, [&](std::int64_t begin, std::int64_t end) {
          kernels::sum_columns<Arch>(g + begin, batch, out_features, end - begin, 1.0, gb + begin, /*accumulate=*/!fresh);
        }, batch);
      });
    }
  });
}

// ∂L/∂z = gy · act'(y) for y = act(z), as a new tensor: the activation's own backward kernel,
// writing instead of adding.
template <class Act>
Tensor through_activation(const Tensor& y, const Tensor& gy) {
  Tensor gz = empty_like(y);
  dispatch(y.dtype(), Act::name, [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      parallel_for(y.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::unary_backward<Arch>(Act{}, y.data<T>() + b, gy.data<T>() + b, gz.data<T>() + b, e - b,
                                      /*accumulate=*/false);
      }, Act::cost);
    });
  });
  return gz;
}

const char* op_name(Activation activation) {
  switch (activation) {
    case Activation::none: return "linear";
    case Activation::relu: return "linear+relu";
    case Activation::selu: return "linear+selu";
  }
  return "linear";
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) { return linear(x, weight, bias, Activation::none); }

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Activation activation) {
  const char* op = op_name(activation);
  // The message prefix is built only when a check fails: linear runs on every layer of every step.
  auto fail = [&](const auto&... why) {
    throw Error(cat(op, ": x is ", describe(x), ", weight is ", describe(weight),
                    bias.defined() ? cat(", bias is ", describe(bias)) : std::string(), ": ", why...));
  };
  if (!x.defined() || !weight.defined()) fail("x and weight must be defined");
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
  dispatch(x.dtype(), op, [&]<class T>() {
    kernels::gemm<T>(batch, out_features, in_features, x.data<T>(), in_features, 1, weight.data<T>(), 1, in_features,
                     y.data<T>(), out_features, /*accumulate=*/false, bias.defined() ? bias.data<T>() : nullptr,
                     activation);
  });
  auto backward = [x, weight, bias, activation](const Tensor& gy, const Tensor& y) {
    switch (activation) {
      case Activation::none: return linear_backward(x, weight, bias, gy);
      case Activation::relu: return linear_backward(x, weight, bias, through_activation<kernels::Relu>(y, gy));
      case Activation::selu: return linear_backward(x, weight, bias, through_activation<kernels::Selu>(y, gy));
    }
  };
  // The tape holds defined tensors only; an activation's backward reads y.
  const Tensor& saved = activation == Activation::none ? Tensor() : y;
  if (bias.defined()) record(op, {x, weight, bias}, y, {saved}, backward);
  else record(op, {x, weight}, y, {saved}, backward);
  return y;
}

}  // namespace tg
