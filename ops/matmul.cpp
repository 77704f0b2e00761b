// matmul: y = op(a)·op(b), where op(a) is a or aᵀ (likewise b), read through strides — no copy.
//   forward : y[i, j] = Σ_p op(a)[i, p]·op(b)[p, j]           y is [M, N], the inner extent is K
//   backward: g op(a) += gy·op(b)ᵀ    stored as ga += gy·op(b)ᵀ, or ga += op(b)·gyᵀ when a is transposed
//             g op(b) += op(a)ᵀ·gy    stored as gb += op(a)ᵀ·gy, or gb += gyᵀ·op(a) when b is transposed;
//                                     its inner dimension, the rows of a, summed as a fixed tree
//   saves   : nothing beyond its inputs a and b.
// Each product is one kernels::gemm call that adds straight into the gradient buffer: no
// temporaries and no transposed copies.
#include <string>

#include "autograd/tape.h"
#include "ops/gemm.h"
#include "ops/matmul.h"
#include "tensor/parallel.h"

namespace tg {
namespace {

/// A matrix read through strides: element (i, j) at data[i·row_stride + j·col_stride].
template <class T>
struct Strided {
  const T* data;
  std::int64_t rows, cols, row_stride, col_stride;
  Strided t() const { return {data, cols, rows, col_stride, row_stride}; }  ///< the transpose, same memory
};

/// op(x) for a row-major 2-D tensor x.
template <class T>
Strided<T> strided(const Tensor& x, bool transposed) {
  const Strided<T> s{x.data<T>(), x.size(0), x.size(1), x.size(1), 1};
  return transposed ? s.t() : s;
}

/// out += a·b, where out is row-major [a.rows, b.cols] — or, when out_transposed, out holds the
/// transpose [b.cols, a.rows] and gets (a·b)ᵀ = bᵀ·aᵀ.
/// k_segment > 0 sums the inner dimension as a fixed tree (kernels::gemm): for b's gradient, whose
/// inner dimension is the rows of a — the batch, when a is one.
template <class T>
void add_product(Strided<T> a, Strided<T> b, T* out, bool out_transposed, std::int64_t k_segment = 0) {
  if (out_transposed) return add_product(b.t(), a.t(), out, false, k_segment);
  kernels::gemm<T>(a.rows, b.cols, a.cols, a.data, a.row_stride, a.col_stride, b.data, b.row_stride, b.col_stride,
                   out, b.cols, /*accumulate=*/true, nullptr, Activation::none, k_segment);
}

std::string operand(const Tensor& x, bool transposed) { return cat(x.shape().str(), transposed ? " (transposed)" : ""); }

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  auto fail = [&](const auto&... why) {  // builds the message only when a check fails
    throw Error(cat("matmul: a is ", operand(a, transpose_a), ", b is ", operand(b, transpose_b), ": ", why...));
  };
  if (a.dim() != 2 || b.dim() != 2) fail("both must be 2-D");
  if (a.dtype() != b.dtype()) fail("dtypes ", a.dtype(), " and ", b.dtype(), " differ");
  const std::int64_t M = a.size(transpose_a ? 1 : 0), K = a.size(transpose_a ? 0 : 1);
  const std::int64_t K_b = b.size(transpose_b ? 1 : 0), N = b.size(transpose_b ? 0 : 1);
  if (K != K_b) fail("inner dimensions ", K, " and ", K_b, " differ");

  Tensor y = empty({M, N}, a.dtype());
  dispatch(a.dtype(), "matmul", [&]<class T>() {
    const Strided<T> op_a = strided<T>(a, transpose_a), op_b = strided<T>(b, transpose_b);
    kernels::gemm<T>(M, N, K, op_a.data, op_a.row_stride, op_a.col_stride, op_b.data, op_b.row_stride,
                     op_b.col_stride, y.data<T>(), N, /*accumulate=*/false);
  });
  record("matmul", {a, b}, y, {}, [a, b, transpose_a, transpose_b](const Tensor& gy) {
    dispatch(a.dtype(), "matmul", [&]<class T>() {
      const Strided<T> op_a = strided<T>(a, transpose_a), op_b = strided<T>(b, transpose_b), g = strided<T>(gy, false);
      if (a.requires_grad()) add_product(g, op_b.t(), grad_of(a).data<T>(), transpose_a);
      if (b.requires_grad()) add_product(op_a.t(), g, grad_of(b).data<T>(), transpose_b, kBatchSegment);
    });
  });
  return y;
}

}  // namespace tg
