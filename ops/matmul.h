// Matrix products over the packed, blocked xsimd GEMM in gemm.h.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

/// An activation fused into a product's write-back (linear below).
enum class Activation : std::uint8_t { none, relu, selu };

/// op(a)·op(b) for 2-D a, b, where op transposes when asked (no transposed copy is made).
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false, bool transpose_b = false);
/// x·Wᵀ + b for x [batch, in_features], weight [out_features, in_features], bias [out_features]
/// (bias may be undefined). One fused op: the bias is added in the GEMM's write-back.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
/// act(x·Wᵀ + b), fused: the activation is applied in the GEMM's write-back, so y is written
/// once; equal to relu(linear(x, w, b)) or selu(linear(x, w, b)) (the test oracle). Saves y.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Activation activation);
/// The transpose of a 2-D tensor, as a new contiguous tensor.
Tensor transpose(const Tensor& x);

}  // namespace tg
