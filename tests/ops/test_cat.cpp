#include <array>

#include "autograd/tape.h"
#include "ops/indexing.h"
#include "support.h"

using namespace tg;

namespace {

// [outer, extent, inner] around `axis`, computed independently of the op.
std::array<std::int64_t, 3> around(const Shape& s, int axis) {
  std::array<std::int64_t, 3> r{1, s[axis], 1};
  for (int k = 0; k < s.dim(); ++k) r[0] *= k < axis ? s[k] : 1, r[2] *= k > axis ? s[k] : 1;
  return r;
}

// The join of `parts` along `axis`, element by element in double.
std::vector<double> cat_reference(const std::vector<Tensor>& parts, int axis) {
  const auto [outer, unused, inner] = around(parts[0].shape(), axis);
  std::vector<double> out;
  for (std::int64_t o = 0; o < outer; ++o)
    for (const Tensor& p : parts) {
      const std::vector<double> v = p.to_vector();
      const std::int64_t n = p.size(axis);
      for (std::int64_t i = 0; i < n * inner; ++i) out.push_back(v[o * n * inner + i]);
    }
  return out;
}

Shape with_extent(Shape s, int axis, std::int64_t n) {
  s[axis] = n;
  return s;
}

}  // namespace

TEST_CASE("cat forward matches the reference along every axis, at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes)
      for (int axis : {0, 1, 2}) {
        const Shape base{2, 3, 4};
        std::vector<Tensor> parts{test::random_tensor(with_extent(base, axis, n), dtype, 1),
                                  test::random_tensor(with_extent(base, axis, 1), dtype, 2),
                                  test::random_tensor(with_extent(base, axis, n + 2), dtype, 3)};
        INFO(dtype_name(dtype) << " n=" << n << " axis=" << axis);
        Tensor y = cat(parts, axis);
        REQUIRE(y.shape() == with_extent(base, axis, 2 * n + 3));
        REQUIRE(y.dtype() == dtype);
        CHECK(y.to_vector() == cat_reference(parts, axis));
        CHECK(cat(parts, axis - 3).to_vector() == y.to_vector());  // negative axis counts from the end
      }
}

TEST_CASE("cat joins int64 labels and a single tensor") {
  CHECK(cat({labels({3, 1}), labels({}), labels({4})}).to_vector() == std::vector<double>{3, 1, 4});
  Tensor x = test::random_tensor({3, 2});
  CHECK(cat({x}, 1).to_vector() == x.to_vector());
}

TEST_CASE("cat gradient matches finite differences") {
  Tensor a = test::random_tensor({2, 3, 4}, DType::float64, 4), b = test::random_tensor({2, 1, 4}, DType::float64, 5),
         c = test::random_tensor({2, 5, 4}, DType::float64, 6);
  for (Tensor* t : {&a, &b, &c}) t->requires_grad(true);
  for (int axis : {0, 1, 2}) {
    INFO("axis " << axis);
    test::require_gradcheck([axis](const std::vector<Tensor>& in) { return cat({in[0], in[0]}, axis); }, {a});
  }
  test::require_gradcheck([](const std::vector<Tensor>& in) { return cat({in[0], in[1], in[2]}, 1); }, {a, b, c});
}

TEST_CASE("cat gradient goes only to inputs that require it, and adds up for a repeated input") {
  Tensor x = tensor({1, 2}, DType::float64), constant = tensor({3}, DType::float64);
  x.requires_grad(true);
  backward(cat({x, constant, x}), tensor({10, 20, 30, 40, 50}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{10 + 40, 20 + 50});
  CHECK_FALSE(constant.grad().defined());
}

TEST_CASE("cat rejects mismatched shapes, dtypes and ranks, naming the op and every shape") {
  const Tensor a = zeros({2, 3}), b = zeros({2, 4});
  REQUIRE_THROWS_WITH(cat({a, b}, 0), Catch::Contains("cat") && Catch::Contains("[2, 3] float32") &&
                                          Catch::Contains("[2, 4] float32") && Catch::Contains("axis 1"));
  CHECK_NOTHROW(cat({a, b}, 1));
  REQUIRE_THROWS_WITH(cat({a, zeros({2, 3}, DType::float64)}), Catch::Contains("cat") && Catch::Contains("dtype"));
  REQUIRE_THROWS_WITH(cat({a, zeros({6})}), Catch::Contains("cat") && Catch::Contains("rank") && Catch::Contains("[6]"));
  REQUIRE_THROWS_WITH(cat({a, b}, 2), Catch::Contains("cat: axis 2 is out of range") && Catch::Contains("[2, 3]"));
  REQUIRE_THROWS_WITH(cat({a, b}, -3), Catch::Contains("cat: axis -3"));
  REQUIRE_THROWS_WITH(cat({}), Catch::Contains("cat: no tensors"));
  REQUIRE_THROWS_WITH(cat({a, Tensor()}), Catch::Contains("cat: tensor 1 of 2 is undefined"));
  REQUIRE_THROWS_WITH(cat({zeros({}), zeros({})}), Catch::Contains("cat") && Catch::Contains("0-dimensional"));
}

TEST_CASE("stack forward matches the reference for every new axis, at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64})
    for (std::int64_t n : test::kSimdSizes) {
      const Shape shape{3, n};
      std::vector<Tensor> parts{test::random_tensor(shape, dtype, 7), test::random_tensor(shape, dtype, 8)};
      for (int axis : {0, 1, 2, -1}) {
        INFO(dtype_name(dtype) << " n=" << n << " axis=" << axis);
        Tensor y = stack(parts, axis);
        const int a = axis < 0 ? axis + 3 : axis;
        REQUIRE(y.shape() == (a == 0 ? Shape{2, 3, n} : a == 1 ? Shape{3, 2, n} : Shape{3, n, 2}));
        // y[.., i, ..] = parts[i]: element (r, c) of part i sits at the multi-index with i inserted at a.
        std::int64_t mismatches = 0;
        for (std::int64_t i = 0; i < 2; ++i)
          for (std::int64_t r = 0; r < 3; ++r)
            for (std::int64_t c = 0; c < n; ++c) {
              const double want = parts[i].at({r, c});
              const double got = a == 0 ? y.at({i, r, c}) : a == 1 ? y.at({r, i, c}) : y.at({r, c, i});
              mismatches += got != want;
            }
        CHECK(mismatches == 0);
      }
    }
}

TEST_CASE("stack gradient matches finite differences") {
  Tensor a = test::random_tensor({3, 4}, DType::float64, 9), b = test::random_tensor({3, 4}, DType::float64, 10);
  a.requires_grad(true);
  b.requires_grad(true);
  for (int axis : {0, 1, 2})
    test::require_gradcheck([axis](const std::vector<Tensor>& in) { return stack({in[0], in[1], in[0]}, axis); },
                            {a, b});
}

TEST_CASE("stack rejects unequal shapes and a bad axis, naming the op and the shapes") {
  REQUIRE_THROWS_WITH(stack({zeros({2, 3}), zeros({3, 2})}), Catch::Contains("stack") && Catch::Contains("[2, 3]") &&
                                                                 Catch::Contains("[3, 2]"));
  REQUIRE_THROWS_WITH(stack({zeros({2, 3})}, 3), Catch::Contains("stack: axis 3") && Catch::Contains("-3 to 2"));
  CHECK(stack({zeros({2, 3})}, -3).shape() == Shape{1, 2, 3});
  CHECK(stack({tensor({1}), tensor({2})}).shape() == Shape{2, 1});
  REQUIRE_THROWS_WITH(stack({}), Catch::Contains("stack: no tensors"));
}
