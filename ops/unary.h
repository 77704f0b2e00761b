// Unary elementwise ops from one description each: the plumbing every such op file shares, so
// that the file holds only its formulas. Include only from op .cpp files (it pulls in xsimd).
//
// An op is a small struct with its name, what its backward reads, and two formulas written for
// xsimd batches (B is Batch<T, Arch>; `typename B::value_type` is T):
//
//   struct Exp {
//     static constexpr const char* name = "exp";
//     static constexpr Saves saves = Saves::output;   // backward reads y
//     static constexpr std::int64_t cost = 8;         // work per element relative to an add
//     template <class B> B forward(const B& x) const { return xsimd::exp(x); }
//     template <class B> B derivative(const B& y) const { return y; }   // dy/dx, from y here
//   };
//   TG_UNARY_KERNELS(Exp)            // in namespace tg::kernels, after the struct
//   Tensor exp(const Tensor& x) { return unary_op(x, kernels::Exp{}); }   // inside #if TG_OP_PASS
//
// unary_op checks x, runs forward over x in parallel chunks, and records a backward that does
// gx += gy · derivative(saved) with one fused multiply-add. An op with a parameter (pow's p, elu's
// α) keeps it as a member; the closure stores the op by value.
#pragma once

#include <cstdint>

#include "autograd/tape.h"
#include "tensor/parallel.h"
#include "tensor/simd.h"
#include "tensor/tensor.h"

namespace tg {

/// What a unary op's backward reads: the input x or the output y (STYLE: save the cheapest).
enum class Saves : std::uint8_t { input, output };

namespace kernels {

/// y[i] = op.forward(x[i]) for i < n.
template <class Arch, class Op, class T>
void unary_forward(const Op& op, const T* x, T* y, std::int64_t n) {
  simd::map<Arch>(n, [&](const auto& v) { return op.forward(v); }, y, x);
}

/// gx[i] += gy[i] · op.derivative(saved[i]) for i < n — or, when !accumulate, gx[i] = the same
/// fused multiply-add onto 0 (for a fresh slot: grad_slot in autograd/tape.h).
template <class Arch, class Op, class T>
void unary_backward(const Op& op, const T* saved, const T* gy, T* gx, std::int64_t n, bool accumulate) {
  auto step = [&](const auto& s, const auto& g, const auto& acc) { return xsimd::fma(g, op.derivative(s), acc); };
  if (accumulate) simd::map<Arch>(n, step, gx, saved, gy, gx);
  else simd::map<Arch>(n, step, gx, saved, gy, simd::Repeat<T>{T(0)});
}

}  // namespace kernels

/// y = op.forward(x) elementwise, recorded with gx += gy · op.derivative(x or y).
/// Chunks start at multiples of 16 (parallel_for), and each lane is computed alone, so every
/// thread count gives the same bits.
template <class Op>
Tensor unary_op(const Tensor& x, const Op& op) {
  check_float_tensor(x, Op::name);
  Tensor y = empty_like(x);
  dispatch(x.dtype(), Op::name, [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      const T* in = x.data<T>();
      T* out = y.data<T>();
      parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
        kernels::unary_forward<Arch>(op, in + b, out + b, e - b);
      }, Op::cost);
    });
  });
  const Tensor& saved = Op::saves == Saves::output ? y : x;
  record(Op::name, {x}, y, {saved}, [x, op](const Tensor& gy, const Tensor& y) {
    const Tensor& s = Op::saves == Saves::output ? y : x;
    bool fresh = false;
    const Tensor gx = grad_slot(x, fresh);  // a first contribution is written, not added to zeros
    dispatch(x.dtype(), Op::name, [&]<class T>() {
      simd::with_isa([&]<class Arch>() {
        parallel_for(x.numel(), [&](std::int64_t b, std::int64_t e) {
          kernels::unary_backward<Arch>(op, s.data<T>() + b, gy.data<T>() + b, gx.data<T>() + b, e - b, !fresh);
        }, Op::cost);
      });
    });
  });
  return y;
}

}  // namespace tg

/// Instantiates unary_forward and unary_backward of `Op` for this pass (tensor/simd.h).
#define TG_UNARY_KERNELS(Op) \
  TG_KERNEL(unary_forward, Op) \
  TG_KERNEL(unary_backward, Op)
