// The activations that are both ops of their own (relu.cpp, selu.cpp) and the epilogue of the GEMM
// write-back (gemm.cpp, Linear→activation fused: ops/matmul.h's linear(..., Activation)). One
// formula each, for xsimd batches, in the form ops/unary.h expects. Include only from kernel files.
#pragma once

#include <cstdint>

#include "ops/constants.h"
#include "ops/unary.h"

namespace tg::kernels {

/// y = max(x, 0); dy/dx = [y > 0] (y > 0 exactly when x > 0). Saves y.
struct Relu {
  static constexpr const char* name = "relu";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 1;
  template <class B> B forward(const B& x) const { return xsimd::select(x > B(0), x, B(0)); }
  template <class B> B derivative(const B& y) const { return xsimd::select(y > B(0), B(1), B(0)); }
};

/// y = λx if x > 0, λα(eˣ − 1) otherwise; dy/dx = λ where y > 0, y + λα elsewhere. Saves y.
struct Selu {
  static constexpr const char* name = "selu";
  static constexpr Saves saves = Saves::output;
  static constexpr std::int64_t cost = 8;
  template <class B> B forward(const B& x) const {
    using T = typename B::value_type;
    return xsimd::select(x > B(0), B(kSeluLambda<T>) * x, B(kSeluLambda<T> * kSeluAlpha<T>) * xsimd::expm1(x));
  }
  template <class B> B derivative(const B& y) const {
    using T = typename B::value_type;
    return xsimd::select(y > B(0), B(kSeluLambda<T>), y + B(kSeluLambda<T> * kSeluAlpha<T>));
  }
};

}  // namespace tg::kernels

namespace tg::kernels {
// Instantiated by relu.cpp and selu.cpp; used by linear.cpp's fused backward too.
TG_EXTERN_KERNEL(unary_forward, Relu)
TG_EXTERN_KERNEL(unary_backward, Relu)
TG_EXTERN_KERNEL(unary_forward, Selu)
TG_EXTERN_KERNEL(unary_backward, Selu)
}  // namespace tg::kernels
