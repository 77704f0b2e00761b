// The GEMM kernel under matmul and linear: C = op(A)·op(B) (+ bias), packed and blocked.
//
// Operands are described by strides, not by flags: element (i, p) of A is
// A[i·a_row_stride + p·a_col_stride]. A row-major [M, K] matrix has strides (K, 1); the same
// memory read as its transpose has strides (1, K). So Aᵀ·B and A·Bᵀ cost no transposed copy.
// The algorithm, its blocking and its threading are described at the top of gemm.cpp.
#pragma once

#include <cstdint>

#include "ops/matmul.h"  // Activation

namespace tg::kernels {

/// C[i, j] = act(Σ_p A[i, p]·B[p, j] + bias[j])    for i < M, j < N (C row-major, row stride ldc)
/// or C[i, j] = act(C[i, j] + …) when `accumulate`. bias (N values) may be null; act is applied
/// in the write-back once the sum is complete (none by default).
/// With k_segment > 0, the sum over k inside each KC slice of k-steps is the fixed tree over
/// segments of k_segment (Note [Batch sums in a fixed tree] in tensor/parallel.h): for products
/// whose k is the batch (a weight gradient). Otherwise one chain of multiply-adds over k.
/// Results are bit-identical whatever the number of threads. C must not alias A, B or bias.
template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K,
          const T* A, std::int64_t a_row_stride, std::int64_t a_col_stride,
          const T* B, std::int64_t b_row_stride, std::int64_t b_col_stride,
          T* C, std::int64_t ldc, bool accumulate, const T* bias = nullptr, Activation activation = Activation::none,
          std::int64_t k_segment = 0);

/// Micro-tile and cache-block sizes used for T (see gemm.cpp); tests use them to pick shapes
/// that cross every block boundary.
struct GemmBlocking {
  std::int64_t mr, nr;      ///< micro-tile: MR rows × NR columns of C held in registers
  std::int64_t mc, kc, nc;  ///< cache blocks of A (MC×KC, L2) and B (KC×NC, L3)
};
template <class T>
GemmBlocking gemm_blocking();

}  // namespace tg::kernels
