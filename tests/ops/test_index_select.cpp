#include "autograd/tape.h"
#include "ops/indexing.h"
#include "pick_reference.h"
#include "support.h"

using namespace tg;

namespace {

// n indices in [0, n) with repeats, reversed order and the two ends.
std::vector<std::int64_t> some_indices(std::int64_t n) {
  if (n == 0) return {};
  std::vector<std::int64_t> idx{n - 1, 0, n / 2, n / 2};
  for (std::int64_t i = n; i-- > 0;) idx.push_back(i);
  return idx;
}

}  // namespace

TEST_CASE("index_select forward matches the reference along every axis, at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes) {
      const std::vector<std::int64_t> idx = some_indices(n);
      const auto count = static_cast<std::int64_t>(idx.size());
      INFO(dtype_name(dtype) << " n=" << n);
      Tensor rows = test::random_tensor({n, 3}, dtype, 21);
      Tensor y = index_select(rows, 0, idx);
      REQUIRE(y.shape() == Shape{count, 3});
      CHECK(y.to_vector() == test::pick_reference(rows, 1, n, 3, idx));
      Tensor middle = test::random_tensor({2, n, 5}, dtype, 22);
      CHECK(index_select(middle, 1, labels(idx)).to_vector() == test::pick_reference(middle, 2, n, 5, idx));
      Tensor columns = test::random_tensor({4, n}, dtype, 23);
      Tensor c = index_select(columns, -1, idx);
      REQUIRE(c.shape() == Shape{4, count});
      CHECK(c.to_vector() == test::pick_reference(columns, 4, n, 1, idx));
    }
  CHECK(index_select(labels({7, 8, 9}), 0, {2, 2, 0}).to_vector() == std::vector<double>{9, 9, 7});  // int64 too
}

TEST_CASE("index_select gradient matches finite differences, repeated indices included") {
  Tensor x = test::random_tensor({4, 5, 3}, DType::float64, 24);
  x.requires_grad(true);
  for (int axis : {0, 1, 2}) {
    INFO("axis " << axis);
    test::require_gradcheck([=](const std::vector<Tensor>& in) { return index_select(in[0], axis, {2, 0, 2, 1, 2}); },
                            {x});
  }
}

TEST_CASE("index_select gradient adds up over repeated indices") {
  Tensor x = zeros({3}, DType::float64);
  x.requires_grad(true);
  backward(index_select(x, 0, {0, 2, 0, 0}), tensor({1, 10, 100, 1000}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{1101, 0, 10});
}

TEST_CASE("index_select rejects an out-of-range index naming it, and bad indices or axes") {
  const Tensor x = zeros({3, 4});
  REQUIRE_THROWS_WITH(index_select(x, 1, {0, 4}), Catch::Contains("index_select: index 4 (position 1)") &&
                                                      Catch::Contains("[3, 4]") && Catch::Contains("extent is 4"));
  REQUIRE_THROWS_WITH(index_select(x, 0, {-1}), Catch::Contains("index_select: index -1 (position 0)"));
  REQUIRE_THROWS_WITH(index_select(x, 0, tensor({0, 1})), Catch::Contains("index_select: indices are [2] float32") &&
                                                              Catch::Contains("1-D int64"));
  REQUIRE_THROWS_WITH(index_select(x, 0, labels({0, 1}).reshape({1, 2})), Catch::Contains("[1, 2] int64"));
  REQUIRE_THROWS_WITH(index_select(x, 2, {0}), Catch::Contains("index_select: axis 2 is out of range"));
  REQUIRE_THROWS_WITH(index_select(zeros({}), 0, {0}), Catch::Contains("0-dimensional"));
  CHECK(index_select(x, 0, std::vector<std::int64_t>{}).shape() == Shape{0, 4});
}
