#include "autograd/tape.h"
#include "ops/indexing.h"
#include "pick_reference.h"
#include "support.h"

using namespace tg;

namespace {

// The positions Python's range(len)[begin:end:step] takes, by its documented rule: a negative bound
// has len added, then both are clamped to [0, len].
std::vector<std::int64_t> python_positions(std::int64_t len, std::int64_t begin, std::int64_t end, std::int64_t step) {
  const auto bound = [len](std::int64_t b) { return std::min(len, std::max<std::int64_t>(0, b < 0 ? b + len : b)); };
  std::vector<std::int64_t> taken;
  for (std::int64_t i = bound(begin); i < bound(end); i += step) taken.push_back(i);
  return taken;
}

}  // namespace

TEST_CASE("slice takes what Python's slicing takes: negative bounds, clamping, steps") {
  const Tensor x = arange(0, 10, 1, DType::float64);
  CHECK(slice(x, 0, 2, 5).to_vector() == std::vector<double>{2, 3, 4});
  CHECK(slice(x, 0, -3, 100).to_vector() == std::vector<double>{7, 8, 9});
  CHECK(slice(x, 0, 1, 8, 3).to_vector() == std::vector<double>{1, 4, 7});
  CHECK(slice(x, 0, -100, 2).to_vector() == std::vector<double>{0, 1});
  CHECK(slice(x, 0, 0, -1, 4).to_vector() == std::vector<double>{0, 4, 8});
  CHECK(slice(x, 0, 5, 2).numel() == 0);
  CHECK(slice(x, 0, 20, 30).shape() == Shape{0});
  CHECK(slice(labels({5, 6, 7}), 0, 1, 3).to_vector() == std::vector<double>{6, 7});  // int64 too
}

TEST_CASE("slice forward matches the reference along every axis, at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes)
      for (auto [begin, end, step] : {std::array<std::int64_t, 3>{0, n, 1}, {1, n - 1, 1}, {-5, n, 2}, {2, 1000, 3},
                                      {0, -1, 4}}) {
        INFO(dtype_name(dtype) << " n=" << n << " [" << begin << ":" << end << ":" << step << "]");
        const std::vector<std::int64_t> taken = python_positions(n, begin, end, step);
        const auto count = static_cast<std::int64_t>(taken.size());
        Tensor middle = test::random_tensor({3, n, 5}, dtype, 11);
        Tensor y = slice(middle, 1, begin, end, step);
        REQUIRE(y.shape() == Shape{3, count, 5});
        CHECK(y.to_vector() == test::pick_reference(middle, 3, n, 5, taken));
        // First and last axes: the same reference with outer = 1 or inner = 1.
        Tensor first = test::random_tensor({n, 4}, dtype, 12);
        CHECK(slice(first, 0, begin, end, step).to_vector() == test::pick_reference(first, 1, n, 4, taken));
        Tensor last = test::random_tensor({2, n}, dtype, 13);
        CHECK(slice(last, -1, begin, end, step).to_vector() == test::pick_reference(last, 2, n, 1, taken));
      }
}

TEST_CASE("slice gradient matches finite differences") {
  Tensor x = test::random_tensor({4, 5, 6}, DType::float64, 14);
  x.requires_grad(true);
  for (int axis : {0, 1, 2, -1})
    for (std::int64_t step : {1, 2, 3}) {
      INFO("axis " << axis << " step " << step);
      test::require_gradcheck([=](const std::vector<Tensor>& in) { return slice(in[0], axis, 1, -1, step); }, {x});
    }
}

TEST_CASE("slice gradient is zero at the positions not taken") {
  Tensor x = zeros({5}, DType::float64);
  x.requires_grad(true);
  backward(slice(x, 0, 0, 5, 2), tensor({1, 2, 3}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{1, 0, 2, 0, 3});
}

TEST_CASE("slice rejects a bad axis, a step below 1 and a 0-dimensional tensor, naming the shape") {
  const Tensor x = zeros({3, 4});
  REQUIRE_THROWS_WITH(slice(x, 2, 0, 1), Catch::Contains("slice: axis 2 is out of range") && Catch::Contains("[3, 4]"));
  REQUIRE_THROWS_WITH(slice(x, -3, 0, 1), Catch::Contains("slice: axis -3"));
  REQUIRE_THROWS_WITH(slice(x, 0, 0, 3, 0), Catch::Contains("slice: step 0") && Catch::Contains("[3, 4]"));
  REQUIRE_THROWS_WITH(slice(x, 0, 3, 0, -1), Catch::Contains("slice: step -1"));
  REQUIRE_THROWS_WITH(slice(zeros({}), 0, 0, 1), Catch::Contains("slice") && Catch::Contains("0-dimensional"));
  REQUIRE_THROWS_WITH(slice(Tensor(), 0, 0, 1), Catch::Contains("slice: the input is undefined"));
}
