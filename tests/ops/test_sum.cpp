#include <cmath>
#include <numeric>

#include "autograd/tape.h"
#include "ops/reduce.h"
#include "reduce_reference.h"
#include "support.h"

using namespace tg;

namespace {
std::vector<double> reference(const Tensor& x, const std::vector<int>& axes, bool mean) {
  std::vector<double> out;
  for (const auto& group : test::reduction_groups(x, axes)) {
    const double s = std::accumulate(group.begin(), group.end(), 0.0);
    out.push_back(mean ? s / static_cast<double>(group.size()) : s);
  }
  return out;
}

double tolerance(DType dtype) { return dtype == DType::float32 ? 1e-5 : 1e-13; }

const std::vector<std::vector<int>> kAxisSets = {{0}, {1}, {2}, {-1}, {0, 1}, {1, 2}, {0, 2}, {2, 0}, {0, 1, 2}, {}};

// gradcheck of reduce(x) over all elements and of reduce(x, axes, keepdim) over every axis set,
// for sum and mean, on a [3, 4, 5] input from `seed`.
template <class Reduce>
void require_reduction_gradcheck(Reduce reduce, std::uint64_t seed) {
  Tensor x = test::random_tensor({3, 4, 5}, DType::float64, seed);
  x.requires_grad(true);
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return reduce(in[0]); }, {x});
  for (const auto& axes : kAxisSets)
    for (bool keepdim : {false, true}) {
      INFO("axes=" << axes.size() << " keepdim=" << keepdim);
      test::require_gradcheck([&](const std::vector<Tensor>& in) { return reduce(in[0], axes, keepdim); }, {x});
    }
}
}  // namespace

TEST_CASE("sum and mean of all elements match the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({n}, dtype, 5, 1.0, 0.5);
      INFO(dtype_name(dtype) << " n=" << n);
      Tensor s = sum(x), m = mean(x);
      CHECK(s.shape() == Shape{});
      CHECK(m.shape() == Shape{});
      CHECK(test::max_rel_diff(s, reference(x, {0}, false)) <= tolerance(dtype));
      if (n > 0) CHECK(test::max_rel_diff(m, reference(x, {0}, true)) <= tolerance(dtype));
    }
  }
}

TEST_CASE("sum over one axis matches the reference for rows and columns at SIMD sizes") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({3, n}, dtype, 6);
      Tensor xt = test::random_tensor({n, 3}, dtype, 7);
      INFO(dtype_name(dtype) << " n=" << n);
      CHECK(test::max_rel_diff(sum(x, {1}), reference(x, {1}, false)) <= tolerance(dtype));
      CHECK(test::max_rel_diff(sum(x, {0}), reference(x, {0}, false)) <= tolerance(dtype));
      CHECK(test::max_rel_diff(sum(xt, {0}), reference(xt, {0}, false)) <= tolerance(dtype));
      CHECK(test::max_rel_diff(mean(xt, {1}), reference(xt, {1}, true)) <= tolerance(dtype));
    }
  }
}

TEST_CASE("sum and mean over every axis combination of 3-D tensors match the reference") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const Shape& shape : {Shape{4, 5, 6}, Shape{3, 1, 37}, Shape{2, 17, 9}, Shape{1, 6, 1}}) {
      Tensor x = test::random_tensor(shape, dtype, 8);
      for (const auto& axes : kAxisSets) {
        for (bool keepdim : {false, true}) {
          INFO(dtype_name(dtype) << " shape=" << shape << " axes=" << axes.size() << " keepdim=" << keepdim);
          Tensor s = sum(x, axes, keepdim), m = mean(x, axes, keepdim);
          CHECK(s.shape() == test::reduced_shape(shape, axes, keepdim));
          CHECK(m.shape() == s.shape());
          CHECK(test::max_rel_diff(s, reference(x, axes, false)) <= tolerance(dtype));
          CHECK(test::max_rel_diff(m, reference(x, axes, true)) <= tolerance(dtype));
        }
      }
    }
  }
}

TEST_CASE("sum over axis 0 of [batch, features] (the bias gradient) matches the reference") {
  for (DType dtype : {DType::float32, DType::float64}) {
    Tensor x = test::random_tensor({300, 1003}, dtype, 9);
    INFO(dtype_name(dtype));
    CHECK(test::max_rel_diff(sum(x, {0}), reference(x, {0}, false)) <= 10 * tolerance(dtype));
    CHECK(test::max_rel_diff(mean(x, {0}, true), reference(x, {0}, true)) <= 10 * tolerance(dtype));
  }
}

TEST_CASE("float32 sum accumulates accurately where a running float sum drifts") {
  // A running float32 sum of a million 0.1f stops near 100958; blocked sums combined in double don't.
  Tensor x = full({1000000}, 0.1, DType::float32);
  const double exact = 1000000 * static_cast<double>(0.1f);
  CHECK(std::abs(sum(x).item() - exact) / exact < 1e-6);
  CHECK(std::abs(mean(x).item() / static_cast<double>(0.1f) - 1) < 1e-6);
  Tensor rows = full({4, 250000}, 0.1, DType::float32);
  for (double v : sum(rows, {1}).to_vector()) CHECK(std::abs(v - exact / 4) / (exact / 4) < 1e-6);
}

TEST_CASE("sum and mean of empty tensors and single elements") {
  CHECK(sum(zeros({0})).item() == 0.0);
  CHECK(std::isnan(mean(zeros({0})).item()));  // 0/0, as NumPy and PyTorch
  CHECK(sum(zeros({3, 0}), {1}).to_vector() == std::vector<double>{0, 0, 0});
  CHECK(sum(zeros({0, 3}), {1}).shape() == Shape{0});
  Tensor scalar = full({}, 2.5, DType::float64);
  CHECK(sum(scalar).shape() == Shape{});
  CHECK(sum(scalar).item() == 2.5);
  CHECK(mean(full({1, 1}, 4.0), {0, 1}, true).shape() == Shape{1, 1});
}

TEST_CASE("sum gradient matches finite differences for all elements and over axes") {
  require_reduction_gradcheck([](const Tensor& x, auto... axes_keepdim) { return sum(x, axes_keepdim...); }, 10);
}

TEST_CASE("mean gradient matches finite differences for all elements and over axes") {
  require_reduction_gradcheck([](const Tensor& x, auto... axes_keepdim) { return mean(x, axes_keepdim...); }, 11);
}

TEST_CASE("sum gradient broadcasts the output gradient back exactly") {
  Tensor x = test::random_tensor({2, 3}, DType::float64, 12);
  x.requires_grad(true);
  backward(sum(x, {0}), tensor({1.0, 2.0, 3.0}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{1, 2, 3, 1, 2, 3});
  x.zero_grad();
  backward(mean(x, {1}, true), tensor({6.0, 12.0}, {2, 1}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{2, 2, 2, 4, 4, 4});
}

TEST_CASE("sum rejects bad axes and int64 input, naming the op and the shape") {
  Tensor x = zeros({2, 3});
  REQUIRE_THROWS_WITH(sum(x, {2}), Catch::Contains("sum") && Catch::Contains("axis 2") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(mean(x, {-3}), Catch::Contains("mean") && Catch::Contains("axis -3") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(sum(x, {1, -1}), Catch::Contains("sum") && Catch::Contains("twice") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(sum(labels({1, 2})), Catch::Contains("sum") && Catch::Contains("int64"));
}

TEST_CASE("sum gives the same bits with 1 and 2 threads") {
  Tensor x = test::random_tensor({200003}, DType::float32, 13);
  Tensor wide = test::random_tensor({389, 517}, DType::float32, 14);
  auto run = [&] {
    return std::vector<std::vector<double>>{sum(x).to_vector(), mean(x).to_vector(), sum(wide, {0}).to_vector(),
                                            sum(wide, {1}).to_vector(), sum(wide).to_vector()};
  };
  const auto one = test::require_same_bits_across_threads(run);
  CHECK(std::abs(one[0][0] - reference(x, {0}, false)[0]) < 1e-3);
}
