#include <array>

#include "autograd/tape.h"
#include "ops/matmul.h"
#include "support.h"

using namespace tg;

TEST_CASE("transpose forward matches the reference at sizes around the SIMD width and the tile") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes)
      for (auto [rows, cols] : {std::array<std::int64_t, 2>{n, 3}, {3, n}, {n, 33}, {65, n}}) {
        Tensor x = test::random_tensor({rows, cols}, dtype, 1);
        Tensor y = transpose(x);
        INFO(dtype_name(dtype) << " rows=" << rows << " cols=" << cols);
        REQUIRE(y.shape() == Shape{cols, rows});
        const std::vector<double> xv = x.to_vector(), yv = y.to_vector();
        std::int64_t mismatches = 0;
        for (std::int64_t i = 0; i < rows; ++i)
          for (std::int64_t j = 0; j < cols; ++j) mismatches += yv[j * rows + i] != xv[i * cols + j];
        REQUIRE(mismatches == 0);
      }
}

TEST_CASE("transpose gradient matches finite differences") {
  for (auto [rows, cols] : {std::array<std::int64_t, 2>{3, 5}, {1, 4}, {33, 34}}) {
    Tensor x = test::random_tensor({rows, cols}, DType::float64, 2);
    x.requires_grad(true);
    test::require_gradcheck([](const std::vector<Tensor>& in) { return transpose(in[0]); }, {x});
  }
}

TEST_CASE("transpose gradient accumulates through a double transpose") {
  Tensor x = test::random_tensor({4, 7}, DType::float64, 3);
  x.requires_grad(true);
  Tensor gy = test::random_tensor({4, 7}, DType::float64, 4);
  backward(transpose(transpose(x)), gy);
  REQUIRE(test::max_rel_diff(x.grad(), gy.to_vector()) == 0.0);
}

TEST_CASE("transpose rejects tensors that are not 2-D, naming the op and the shape") {
  REQUIRE_THROWS_WITH(transpose(zeros({2, 3, 4})), Catch::Contains("transpose") && Catch::Contains("[2, 3, 4]"));
  REQUIRE_THROWS_WITH(transpose(zeros({5})), Catch::Contains("transpose") && Catch::Contains("[5]"));
}

TEST_CASE("transpose forward and backward give the same bits with 1 and 2 threads") {
  test::require_same_bits_across_threads([] {
    Tensor x = test::random_tensor({300, 257}, DType::float32, 5);  // 77100 > kParallelGrain elements
    x.requires_grad(true);
    Tensor y = transpose(x);
    backward(y, test::random_tensor(y.shape(), DType::float32, 6));
    return std::vector<Tensor>{y, x.grad()};
  });
}
