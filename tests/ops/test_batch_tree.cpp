// Note [Batch sums in a fixed tree] (tensor/parallel.h): a sum over a batch's rows, cut into
// 2^k equal parts of whole segments, is exactly the tree-combination of the parts' sums — the
// property data-parallel training builds on.
#include <cstring>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/gemm.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {

// ((p0 + p1) + (p2 + p3)) … over equal parts, as the tree combines them.
Tensor tree_of(std::vector<Tensor> parts) {
  NoGrad no_grad;
  while (parts.size() > 1) {
    std::vector<Tensor> next;
    for (std::size_t i = 0; i < parts.size(); i += 2) next.push_back(add(parts[i], parts[i + 1]));
    parts = next;
  }
  return parts[0];
}

// The weight gradient gyᵀ·x of rows [begin, end), as linear's backward computes it.
Tensor weight_gradient(const Tensor& gy, const Tensor& x, std::int64_t begin, std::int64_t end) {
  const std::int64_t out = gy.size(1), in = x.size(1), rows = end - begin;
  Tensor gw = empty({out, in}, x.dtype());
  dispatch(x.dtype(), "test", [&]<class T>() {
    kernels::gemm<T>(out, in, rows, gy.data<T>() + begin * out, 1, out, x.data<T>() + begin * in, in, 1, gw.data<T>(), in,
                     false, nullptr, Activation::none, kBatchSegment);
  });
  return gw;
}

}  // namespace

TEST_CASE("a weight gradient over the batch is the tree of its parts' weight gradients, bit for bit") {
  for (DType dtype : {DType::float32, DType::float64}) {
    const std::int64_t batch = 8 * kBatchSegment;
    const Tensor gy = test::random_tensor({batch, 45}, dtype, 1), x = test::random_tensor({batch, 37}, dtype, 2);
    const Tensor whole = weight_gradient(gy, x, 0, batch);
    for (std::int64_t parts : {2, 4, 8}) {
      std::vector<Tensor> sums;
      for (std::int64_t p = 0; p < parts; ++p) sums.push_back(weight_gradient(gy, x, p * batch / parts, (p + 1) * batch / parts));
      INFO(dtype_name(dtype) << ", " << parts << " parts");
      CHECK(test::bit_difference(whole, tree_of(sums)) == "");
    }
    // And linear's backward computes exactly that.
    Tensor w = test::random_tensor({45, 37}, dtype, 3).requires_grad(true);
    backward(linear(x, w), gy);
    CHECK(test::bit_difference(w.grad(), whole) == "");
  }
}

TEST_CASE("a sum over the batch axis is the tree of its parts' sums, bit for bit") {
  for (DType dtype : {DType::float32, DType::float64}) {
    const std::int64_t batch = 4 * kBatchSegment;
    const Tensor x = test::random_tensor({batch, 53}, dtype, 4);
    const Tensor whole = sum(x, {0});
    for (std::int64_t parts : {2, 4}) {
      std::vector<Tensor> sums;
      for (std::int64_t p = 0; p < parts; ++p) sums.push_back(sum(x.rows(p * batch / parts, (p + 1) * batch / parts), {0}));
      INFO(dtype_name(dtype) << ", " << parts << " parts");
      CHECK(test::bit_difference(whole, tree_of(sums)) == "");
    }
  }
}

TEST_CASE("the tree over a count of segments that is not a power of two folds the rest from the right") {
  // 3 segments: (s0 + s1) + s2, the stack's left pair merged, the third folded in.
  const std::int64_t batch = 3 * kBatchSegment;
  const Tensor x = test::random_tensor({batch, 9}, DType::float32, 5);
  const Tensor s0 = sum(x.rows(0, kBatchSegment), {0}), s1 = sum(x.rows(kBatchSegment, 2 * kBatchSegment), {0});
  const Tensor s2 = sum(x.rows(2 * kBatchSegment, batch), {0});
  NoGrad no_grad;
  CHECK(test::bit_difference(sum(x, {0}), add(add(s0, s1), s2)) == "");
}
