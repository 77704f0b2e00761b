#include <cmath>

#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {
// softmax / log_softmax of x along `axis`, in double, by definition (with the max shift).
std::vector<double> reference(const Tensor& x, int axis, bool log) {
  const int a = axis < 0 ? axis + x.dim() : axis;
  std::int64_t inner = 1;
  for (int k = a + 1; k < x.dim(); ++k) inner *= x.size(k);
  const std::int64_t n = x.size(a);
  const std::vector<double> v = x.to_vector();
  std::vector<double> y(v.size());
  for (std::int64_t start = 0; start < x.numel(); ++start) {
    if ((start / inner) % n != 0) continue;  // start of each line along the axis
    double m = -INFINITY, s = 0;
    for (std::int64_t r = 0; r < n; ++r) m = std::max(m, v[start + r * inner]);
    for (std::int64_t r = 0; r < n; ++r) s += std::exp(v[start + r * inner] - m);
    for (std::int64_t r = 0; r < n; ++r) {
      const double e = v[start + r * inner] - m;
      y[start + r * inner] = log ? e - std::log(s) : std::exp(e) / s;
    }
  }
  return y;
}

double tolerance(DType dtype) { return dtype == DType::float32 ? 2e-6 : 1e-14; }

// gradcheck of f (softmax or log_softmax) along each axis of a [3, 4, 5] input from `seed`, and
// along the rows of a [2, 19] one from seed + 1 (full SIMD batches plus a tail).
void require_softmax_gradcheck(Tensor (*f)(const Tensor&, int), std::uint64_t seed) {
  Tensor x = test::random_tensor({3, 4, 5}, DType::float64, seed);
  x.requires_grad(true);
  for (int axis : {-1, 0, 1}) {
    INFO("axis=" << axis);
    test::require_gradcheck([&](const std::vector<Tensor>& in) { return f(in[0], axis); }, {x});
  }
  Tensor wide = test::random_tensor({2, 19}, DType::float64, seed + 1);
  wide.requires_grad(true);
  test::require_gradcheck([&](const std::vector<Tensor>& in) { return f(in[0], -1); }, {wide});
}
}  // namespace

TEST_CASE("softmax and log_softmax along the last axis match the double reference at SIMD sizes") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = test::random_tensor({3, n}, dtype, 41, 3.0);
      INFO(dtype_name(dtype) << " n=" << n);
      CHECK(test::max_rel_diff(softmax(x), reference(x, -1, false)) <= tolerance(dtype));
      CHECK(test::max_rel_diff(log_softmax(x), reference(x, -1, true)) <= tolerance(dtype));
    }
  }
}

TEST_CASE("softmax and log_softmax along every axis of 3-D tensors match the reference") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const Shape& shape : {Shape{4, 5, 6}, Shape{3, 17, 9}, Shape{2, 1, 33}}) {
      Tensor x = test::random_tensor(shape, dtype, 42, 2.0);
      for (int axis : {0, 1, 2, -2}) {
        INFO(dtype_name(dtype) << " shape=" << shape << " axis=" << axis);
        CHECK(test::max_rel_diff(softmax(x, axis), reference(x, axis, false)) <= tolerance(dtype));
        CHECK(test::max_rel_diff(log_softmax(x, axis), reference(x, axis, true)) <= tolerance(dtype));
      }
    }
  }
}

TEST_CASE("softmax rows sum to one and stay finite for huge logits") {
  Tensor x = tensor({1000, 1001, 1002, -1000, 0, 1000}, {2, 3}, DType::float32);
  Tensor y = softmax(x), ly = log_softmax(x);
  for (double v : ly.to_vector()) CHECK(std::isfinite(v));
  CHECK(y.at({0, 0}) + y.at({0, 1}) + y.at({0, 2}) == Approx(1.0).epsilon(1e-6));
  CHECK(ly.at({0, 2}) == Approx(-std::log1p(std::exp(-1.0) + std::exp(-2.0))).epsilon(1e-6));
  CHECK(ly.at({1, 0}) == Approx(-2000.0));
}

TEST_CASE("softmax gradient matches finite differences along every axis") { require_softmax_gradcheck(softmax, 43); }

TEST_CASE("log_softmax gradient matches finite differences along every axis") {
  require_softmax_gradcheck(log_softmax, 45);
}

TEST_CASE("softmax and log_softmax reject bad axes and int64 input naming the op and the shape") {
  REQUIRE_THROWS_WITH(softmax(zeros({2, 3}), 2), Catch::Contains("softmax") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(log_softmax(zeros({2, 3}), -3), Catch::Contains("log_softmax") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(softmax(labels({1, 2})), Catch::Contains("softmax") && Catch::Contains("int64"));
}

TEST_CASE("softmax and log_softmax of [512, 784] give the same bits with 1 and 2 threads") {
  Tensor x = test::random_tensor({512, 784}, DType::float32, 47, 2.0);
  Tensor gy = test::random_tensor({512, 784}, DType::float32, 48);
  x.requires_grad(true);
  auto run = [&] {
    std::vector<std::vector<double>> out;
    for (int axis : {-1, 0}) {
      Tensor y = softmax(x, axis);
      backward(y, gy);
      Tensor ly = log_softmax(x, axis);
      backward(ly, gy);
      out.push_back(y.to_vector());
      out.push_back(ly.to_vector());
      out.push_back(x.grad().to_vector());
      x.zero_grad();
    }
    return out;
  };
  test::require_same_bits_across_threads(run);
}
