#include <cmath>

#include "autograd/tape.h"
#include "ops/reduce.h"
#include "reduce_reference.h"
#include "support.h"

using namespace tg;

namespace {
std::vector<double> reference(const Tensor& x, const std::vector<int>& axes, bool unbiased) {
  std::vector<double> out;
  for (const auto& group : test::reduction_groups(x, axes)) {
    double m = 0, s = 0;
    for (double v : group) m += v;
    m /= static_cast<double>(group.size());
    for (double v : group) s += (v - m) * (v - m);
    out.push_back(s / (static_cast<double>(group.size()) - (unbiased ? 1 : 0)));
  }
  return out;
}

double tolerance(DType dtype) { return dtype == DType::float32 ? 2e-5 : 1e-13; }

const std::vector<std::vector<int>> kAxisSets = {{0}, {1}, {2}, {-1}, {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}};
}  // namespace

TEST_CASE("var of a vector matches the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      if (n < 2) continue;  // n − 1 = 0 is checked separately
      Tensor x = test::random_tensor({n}, dtype, 21, 2.0, 3.0);
      INFO(dtype_name(dtype) << " n=" << n);
      for (bool unbiased : {false, true})
        CHECK(test::max_rel_diff(var(x, {0}, unbiased), reference(x, {0}, unbiased)) <= tolerance(dtype));
      CHECK(var(x, {0}).shape() == Shape{});
    }
  }
}

TEST_CASE("var over axis combinations of 3-D tensors matches the reference") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const Shape& shape : {Shape{4, 5, 6}, Shape{3, 2, 37}, Shape{9, 3, 2}}) {
      Tensor x = test::random_tensor(shape, dtype, 22);
      for (const auto& axes : kAxisSets)
        for (bool unbiased : {false, true})
          for (bool keepdim : {false, true}) {
            INFO(dtype_name(dtype) << " shape=" << shape << " axes=" << axes.size() << " unbiased=" << unbiased);
            Tensor v = var(x, axes, unbiased, keepdim);
            CHECK(v.shape() == test::reduced_shape(shape, axes, keepdim));
            CHECK(test::max_rel_diff(v, reference(x, axes, unbiased)) <= tolerance(dtype));
          }
    }
  }
}

TEST_CASE("var is accurate when the mean is large compared to the spread") {
  // E[x²] − E[x]² would lose every digit here in float32; the two-pass form does not.
  Tensor x = test::random_tensor({1000}, DType::float32, 23, 1.0, 1000.0);
  CHECK(test::max_rel_diff(var(x, {0}), reference(x, {0}, false)) <= 1e-4);
}

TEST_CASE("var of one element is 0 biased and NaN unbiased") {
  Tensor x = full({3, 1}, 5.0, DType::float64);
  CHECK(var(x, {1}).to_vector() == std::vector<double>{0, 0, 0});
  CHECK(std::isnan(var(x, {1}, true).to_vector()[0]));
}

TEST_CASE("var gradient matches finite differences over axes, biased and unbiased, with keepdim") {
  Tensor x = test::random_tensor({3, 4, 5}, DType::float64, 24);
  x.requires_grad(true);
  for (const auto& axes : kAxisSets)
    for (bool unbiased : {false, true})
      for (bool keepdim : {false, true}) {
        INFO("axes=" << axes.size() << " unbiased=" << unbiased << " keepdim=" << keepdim);
        test::require_gradcheck([&](const std::vector<Tensor>& in) { return var(in[0], axes, unbiased, keepdim); }, {x});
      }
}

TEST_CASE("var rejects bad axes naming the op and the shape") {
  Tensor x = zeros({2, 3});
  REQUIRE_THROWS_WITH(var(x, {5}), Catch::Contains("var") && Catch::Contains("axis 5") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(var(x, {0, 0}), Catch::Contains("var") && Catch::Contains("twice") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(var(labels({1, 2}), {0}), Catch::Contains("var") && Catch::Contains("int64"));
}

TEST_CASE("var gives the same bits with 1 and 2 threads") {
  Tensor x = test::random_tensor({300, 401}, DType::float32, 25);
  x.requires_grad(true);
  auto run = [&] {
    // One backward per result; x.grad accumulates all three.
    Tensor all = var(x, {0, 1});
    backward(all);
    Tensor rows = var(x, {0}, true);
    backward(sum(rows));
    Tensor cols = var(x, {1});
    backward(sum(cols));
    std::vector<std::vector<double>> out{all.to_vector(), rows.to_vector(), cols.to_vector(), x.grad().to_vector()};
    x.zero_grad();
    return out;
  };
  test::require_same_bits_across_threads(run);
}
