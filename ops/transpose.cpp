// transpose: y = xᵀ for a 2-D x [rows, cols], as a new contiguous [cols, rows] tensor.
//   forward : y[j, i] = x[i, j]
//   backward: gx[i, j] += gy[j, i]     the same kernel, adding
//   saves   : nothing.
// matmul and linear read transposed operands through strides; this op is for a transpose that
// must exist in memory. The kernel is scalar: a transpose is a gather, and xsimd 8.1 has no
// shuffle-based transpose. Square tiles keep the rows being read and written in L1.
#include <algorithm>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/matmul.h"

namespace tg::kernels {

/// Tile edge of the blocked transpose: 32 rows of 32 doubles is 8 KiB, in L1 with its image.
constexpr std::int64_t kTransposeTile = 32;

/// out[j, i] = in[i, j] (or += when accumulate) for output rows j in [begin, end); in is
/// [in_rows, in_cols], out is [in_cols, in_rows].
template <class T>
void transpose_into(const T* in, std::int64_t in_rows, std::int64_t in_cols, T* out, std::int64_t begin,
                    std::int64_t end, bool accumulate) {
  for (std::int64_t j0 = begin; j0 < end; j0 += kTransposeTile)
    for (std::int64_t i0 = 0; i0 < in_rows; i0 += kTransposeTile) {
      const std::int64_t j1 = std::min(end, j0 + kTransposeTile), i1 = std::min(in_rows, i0 + kTransposeTile);
      for (std::int64_t j = j0; j < j1; ++j)
        for (std::int64_t i = i0; i < i1; ++i)
          out[j * in_rows + i] = accumulate ? out[j * in_rows + i] + in[i * in_cols + j] : in[i * in_cols + j];
    }
}

}  // namespace tg::kernels

namespace tg {

Tensor transpose(const Tensor& x) {
  check(x.dim() == 2, "transpose: x is ", describe(x), ": expected a 2-D tensor");
  const std::int64_t rows = x.size(0), cols = x.size(1);
  Tensor y = empty({cols, rows}, x.dtype());
  dispatch(x.dtype(), "transpose", [&]<class T>() {
    parallel_for(cols, [&](std::int64_t begin, std::int64_t end) {
      kernels::transpose_into(x.data<T>(), rows, cols, y.data<T>(), begin, end, /*accumulate=*/false);
    }, rows);
  });
  record("transpose", {x}, y, {}, [x](const Tensor& gy) {
    const std::int64_t rows = x.size(0), cols = x.size(1);
    Tensor gx = grad_of(x);
    dispatch(x.dtype(), "transpose", [&]<class T>() {
      parallel_for(rows, [&](std::int64_t begin, std::int64_t end) {
        kernels::transpose_into(gy.data<T>(), cols, rows, gx.data<T>(), begin, end, /*accumulate=*/true);
      }, cols);
    });
  });
  return y;
}

}  // namespace tg
