#include <cmath>

#include "autograd/tape.h"
#include "ops/reduce.h"
#include "reduce_reference.h"
#include "support.h"

using namespace tg;

namespace {
// Largest value of each group and the position of its first occurrence.
std::pair<std::vector<double>, std::vector<double>> reference(const Tensor& x, int axis) {
  std::vector<double> values, indices;
  for (const auto& group : test::reduction_groups(x, {axis})) {
    std::size_t k = 0;
    for (std::size_t i = 1; i < group.size(); ++i)
      if (group[i] > group[k]) k = i;
    values.push_back(group[k]);
    indices.push_back(static_cast<double>(k));
  }
  return {values, indices};
}
}  // namespace

TEST_CASE("max of all elements matches the reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      if (n == 0) continue;
      Tensor x = test::random_tensor({n}, dtype, 31);
      INFO(dtype_name(dtype) << " n=" << n);
      Tensor m = max(x);
      CHECK(m.shape() == Shape{});
      CHECK(m.item() == reference(x, 0).first[0]);
      CHECK(argmax(x, 0).item() == reference(x, 0).second[0]);
    }
  }
}

TEST_CASE("max and argmax along each axis of 3-D tensors match the reference") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const Shape& shape : {Shape{4, 5, 6}, Shape{3, 17, 1}, Shape{2, 9, 33}}) {
      Tensor x = test::random_tensor(shape, dtype, 32);
      for (int axis : {0, 1, 2, -1}) {
        INFO(dtype_name(dtype) << " shape=" << shape << " axis=" << axis);
        const auto [values, indices] = reference(x, axis);
        CHECK(max(x, axis).to_vector() == values);
        CHECK(max(x, axis).shape() == test::reduced_shape(shape, {axis}, false));
        CHECK(max(x, axis, true).shape() == test::reduced_shape(shape, {axis}, true));
        Tensor k = argmax(x, axis);
        CHECK(k.dtype() == DType::int64);
        CHECK(k.shape() == test::reduced_shape(shape, {axis}, false));
        CHECK(k.to_vector() == indices);
      }
    }
  }
}

TEST_CASE("max and argmax pick the first of tied maxima and propagate NaN") {
  Tensor x = tensor({1, 3, 2, 3, 0, 3}, {2, 3}, DType::float64);
  CHECK(argmax(x, 1).to_vector() == std::vector<double>{1, 0});
  CHECK(argmax(x, 0).to_vector() == std::vector<double>{1, 0, 1});
  CHECK(argmax(tensor({2, 5, 5, 1}), 0).item() == 1);
  CHECK(std::isnan(max(tensor({1, NAN, 3})).item()));
  CHECK(argmax(tensor({1, NAN, 3, NAN}), 0).item() == 1);
}

TEST_CASE("max gradient goes to the first maximal element only") {
  Tensor x = tensor({1, 3, 2, 3}, DType::float64);
  x.requires_grad(true);
  backward(max(x));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 0, 0});

  Tensor y = tensor({4, 1, 4, 2, 7, 7}, {2, 3}, DType::float64);
  y.requires_grad(true);
  backward(max(y, 1), tensor({10.0, 20.0}, DType::float64));
  CHECK(y.grad().to_vector() == std::vector<double>{10, 0, 0, 0, 20, 0});
}

TEST_CASE("max of all elements keeps the first maximum across reduction blocks and threads") {
  // Equal maxima in several fixed blocks (Note [Deterministic reductions]): the earliest wins.
  Tensor x = zeros({100000}, DType::float64);
  for (std::int64_t i : {20000, 50000, 99999}) x.set({i}, 5.0);
  x.requires_grad(true);
  for (int threads : {1, 2}) {
    test::with_threads(threads, [&] { backward(max(x)); });
    INFO("threads=" << threads);
    CHECK(x.grad().at({20000}) == 1.0);
    CHECK(x.grad().at({50000}) == 0.0);
    x.zero_grad();
  }
}

TEST_CASE("max gradient matches finite differences for all elements and along each axis") {
  Tensor x = test::random_tensor({3, 4, 5}, DType::float64, 33);
  x.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return max(in[0]); }, {x});
  for (int axis : {0, 1, 2})
    for (bool keepdim : {false, true}) {
      INFO("axis=" << axis << " keepdim=" << keepdim);
      test::require_gradcheck([&](const std::vector<Tensor>& in) { return max(in[0], axis, keepdim); }, {x});
    }
}

TEST_CASE("argmax records no gradient") {
  Tensor x = test::random_tensor({2, 3}, DType::float64, 34);
  x.requires_grad(true);
  const std::size_t before = tape().size();
  Tensor k = argmax(x, 1);
  CHECK(tape().size() == before);
  CHECK(!k.requires_grad());
}

TEST_CASE("max and argmax reject empty tensors and bad axes naming the op and the shape") {
  REQUIRE_THROWS_WITH(max(zeros({0, 3})), Catch::Contains("max") && Catch::Contains("[0, 3]"));
  REQUIRE_THROWS_WITH(max(zeros({3, 0}), 1), Catch::Contains("max") && Catch::Contains("[3, 0]") && Catch::Contains("empty"));
  REQUIRE_THROWS_WITH(max(zeros({2, 3}), 2), Catch::Contains("max") && Catch::Contains("axis 2") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(argmax(zeros({2, 3}), -3), Catch::Contains("argmax") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(argmax(labels({1, 2}), 0), Catch::Contains("argmax") && Catch::Contains("int64"));
}

TEST_CASE("max and argmax give the same results with 1 and 2 threads") {
  Tensor x = test::random_tensor({300, 401}, DType::float32, 35);
  auto run = [&] {
    return std::vector<std::vector<double>>{max(x).to_vector(), max(x, 0).to_vector(), max(x, 1).to_vector(),
                                            argmax(x, 0).to_vector(), argmax(x, 1).to_vector()};
  };
  test::require_same_bits_across_threads(run);
}
