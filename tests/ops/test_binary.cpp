#include <cmath>
#include <functional>

#include "tensor/parallel.h"
#include "tensor/random.h"
#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

namespace {

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);

struct BinaryCase {
  const char* name;
  BinaryFn fn;
  std::function<double(double, double)> reference;
};

const std::vector<BinaryCase> kBinary = {
    {"add", add, [](double a, double b) { return a + b; }},
    {"sub", sub, [](double a, double b) { return a - b; }},
    {"mul", mul, [](double a, double b) { return a * b; }},
    {"div", div, [](double a, double b) { return a / b; }},
};

// Reference broadcasting, written independently of the library: the element of a tensor of
// shape `s` that output element `flat` (of shape `out`) reads.
std::int64_t source_index(const Shape& s, const Shape& out, std::int64_t flat) {
  std::int64_t index = 0, stride = 1;
  for (int i = out.dim() - 1, j = s.dim() - 1; i >= 0; --i, --j) {
    const std::int64_t coordinate = flat % out[i];
    flat /= out[i];
    if (j < 0) continue;
    if (s[j] != 1) index += coordinate * stride;
    stride *= s[j];
  }
  return index;
}

std::vector<double> broadcast_reference(const Tensor& a, const Tensor& b, const Shape& out,
                                        const std::function<double(double, double)>& f) {
  const std::vector<double> va = a.to_vector(), vb = b.to_vector();
  std::vector<double> y;
  for (std::int64_t i = 0; i < out.numel(); ++i)
    y.push_back(f(va[source_index(a.shape(), out, i)], vb[source_index(b.shape(), out, i)]));
  return y;
}

// The reference sum_to: every element of g added (in double) to the element it was broadcast from.
std::vector<double> sum_to_reference(const Tensor& g, const Shape& shape) {
  std::vector<double> out(static_cast<std::size_t>(shape.numel()), 0.0);
  const std::vector<double> vg = g.to_vector();
  for (std::int64_t i = 0; i < g.numel(); ++i) out[source_index(shape, g.shape(), i)] += vg[i];
  return out;
}

// b values kept away from zero so that div is well conditioned.
Tensor divisor(const Shape& shape, DType dtype, std::uint64_t seed) {
  Generator gen(seed);
  return rand(shape, gen, dtype, 0.5, 2.0);
}

// Pairs of shapes covering every forward path: same shape, a single value on either side,
// the repeating suffix ([B, M] ⊕ [M], either way round) and the general N-d loop.
const std::vector<std::pair<Shape, Shape>> kBroadcastPairs = {
    {{5, 7}, {5, 7}},     {{5, 7}, {}},          {{1}, {5, 7}},        {{5, 7}, {7}},         {{7}, {5, 7}},
    {{4, 5, 7}, {1, 5, 7}}, {{3, 1}, {1, 9}},    {{2, 3, 4}, {3, 1}},  {{2, 1, 4}, {3, 1}},   {{6, 1}, {6, 17}},
    {{2, 3, 1, 5}, {3, 4, 1}}, {{0, 3}, {3}},    {{1, 3}, {0, 1}},
};

}  // namespace

TEST_CASE("add, sub, mul and div forward match the double reference at sizes around the SIMD width") {
  for (const BinaryCase& op : kBinary) {
    for (DType dtype : {DType::float32, DType::float64}) {
      for (std::int64_t n : test::kSimdSizes) {
        Tensor a = test::random_tensor({n}, dtype, 3, 2.0), b = divisor({n}, dtype, 4);
        INFO(op.name << " " << dtype_name(dtype) << " n=" << n);
        const double tolerance = dtype == DType::float32 ? 1e-6 : 1e-14;
        REQUIRE(test::max_rel_diff(op.fn(a, b), broadcast_reference(a, b, {n}, op.reference)) <= tolerance);
        // The single-value paths, with the scalar on either side.
        Tensor s = divisor({}, dtype, 5);
        REQUIRE(test::max_rel_diff(op.fn(a, s), broadcast_reference(a, s, {n}, op.reference)) <= tolerance);
        Tensor a_div = divisor({n}, dtype, 6);
        REQUIRE(test::max_rel_diff(op.fn(s, a_div), broadcast_reference(s, a_div, {n}, op.reference)) <= tolerance);
      }
    }
  }
}

TEST_CASE("binary ops broadcast by NumPy rules on every forward path") {
  for (const BinaryCase& op : kBinary) {
    for (DType dtype : {DType::float32, DType::float64}) {
      for (const auto& [sa, sb] : kBroadcastPairs) {
        Tensor a = test::random_tensor(sa, dtype, 8), b = divisor(sb, dtype, 9);
        const Shape out = broadcast_shapes(sa, sb, op.name);
        Tensor y = op.fn(a, b);
        INFO(op.name << " " << dtype_name(dtype) << " " << sa << " with " << sb);
        REQUIRE(y.shape() == out);
        REQUIRE(test::max_rel_diff(y, broadcast_reference(a, b, out, op.reference)) <=
                (dtype == DType::float32 ? 1e-6 : 1e-14));
      }
    }
  }
}

TEST_CASE("binary forward paths agree on a large tensor split across threads") {
  // [300, 129] ⊕ [129] takes the repeating-suffix path in parallel chunks that cut rows;
  // [300, 1] ⊕ [1, 129] the general row loop.
  Tensor a = test::random_tensor({300, 129}, DType::float32, 1), b = divisor({129}, DType::float32, 2);
  Tensor c = test::random_tensor({300, 1}, DType::float32, 3), d = divisor({1, 129}, DType::float32, 4);
  REQUIRE(test::max_rel_diff(div(a, b), broadcast_reference(a, b, {300, 129}, kBinary[3].reference)) <= 1e-6);
  REQUIRE(test::max_rel_diff(sub(c, d), broadcast_reference(c, d, {300, 129}, kBinary[1].reference)) <= 1e-6);
}

TEST_CASE("broadcast_shapes aligns at the right and stretches extents of 1") {
  CHECK(broadcast_shapes({3, 4}, {4}, "t") == Shape{3, 4});
  CHECK(broadcast_shapes({3, 1}, {1, 4}, "t") == Shape{3, 4});
  CHECK(broadcast_shapes({2, 3, 4}, {3, 1}, "t") == Shape{2, 3, 4});
  CHECK(broadcast_shapes({}, {2, 2}, "t") == Shape{2, 2});
  CHECK(broadcast_shapes({}, {}, "t") == Shape{});
  CHECK(broadcast_shapes({1, 0}, {5, 1}, "t") == Shape{5, 0});
  REQUIRE_THROWS_WITH(broadcast_shapes({2, 3}, {3, 2}, "mine"),
                      Catch::Contains("mine") && Catch::Contains("[2, 3]") && Catch::Contains("[3, 2]"));
}

TEST_CASE("binary ops reject shapes that do not broadcast, naming the op and both shapes") {
  Tensor a = zeros({2, 3}), b = zeros({4});
  for (const BinaryCase& op : kBinary)
    REQUIRE_THROWS_WITH(op.fn(a, b), Catch::StartsWith(op.name) && Catch::Contains("a is [2, 3], b is [4]") &&
                                         Catch::Contains("do not broadcast"));
  REQUIRE_THROWS_WITH(a + zeros({3, 3}), Catch::StartsWith("add") && Catch::Contains("[3, 3]"));
}

TEST_CASE("binary ops reject mixed and integer dtypes, naming the op") {
  REQUIRE_THROWS_WITH(mul(zeros({2}), zeros({2}, DType::float64)),
                      Catch::StartsWith("mul") && Catch::Contains("float32") && Catch::Contains("float64"));
  REQUIRE_THROWS_WITH(sub(labels({1, 2}), labels({1, 2})), Catch::StartsWith("sub") && Catch::Contains("int64"));
}

// ---- gradients ----

namespace {
// Gradients of op over the same-shape, bias, outer-product, general and scalar cases.
void check_binary_gradients(BinaryFn fn) {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{5}, {5}},          {{3, 4}, {4}}, {{4}, {3, 4}}, {{3, 1}, {1, 4}},
      {{2, 3, 4}, {3, 1}}, {{3, 4}, {}},  {{}, {2, 3}},  {{1}, {1}},
  };
  for (const auto& [sa, sb] : pairs) {
    INFO(sa << " with " << sb);
    Tensor a = test::random_tensor(sa, DType::float64, 21), b = divisor(sb, DType::float64, 22);
    a.requires_grad(true);
    b.requires_grad(true);
    test::require_gradcheck([fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }, {a, b});
  }
  // Only one side requiring a gradient, and one tensor used as both operands.
  Tensor a = test::random_tensor({3, 4}, DType::float64, 23), b = divisor({4}, DType::float64, 24);
  b.requires_grad(true);
  test::require_gradcheck([fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); }, {a, b});
  Tensor x = divisor({6}, DType::float64, 25);
  x.requires_grad(true);
  test::require_gradcheck([fn](const std::vector<Tensor>& in) { return fn(in[0], in[0]); }, {x});
}
}  // namespace

TEST_CASE("add gradient matches finite differences, with broadcasting") { check_binary_gradients(add); }
TEST_CASE("sub gradient matches finite differences, with broadcasting") { check_binary_gradients(sub); }
TEST_CASE("mul gradient matches finite differences, with broadcasting") { check_binary_gradients(mul); }
TEST_CASE("div gradient matches finite differences, with broadcasting") { check_binary_gradients(div); }

TEST_CASE("add gradient of a bias is the column sum of the output gradient") {
  Tensor x = zeros({3, 2}, DType::float64), bias = zeros({2}, DType::float64);
  bias.requires_grad(true);
  Tensor gy = tensor({1, 2, 3, 4, 5, 6}, {3, 2}, DType::float64);
  backward(x + bias, gy);
  CHECK(bias.grad().to_vector() == std::vector<double>{9, 12});
}

// ---- sum_to ----

TEST_CASE("sum_to sums the broadcast axes and matches the double reference") {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4}},       {{3, 4}, {1, 4}},    {{3, 4}, {3, 1}},     {{2, 3, 4}, {3, 1}},  {{2, 3, 4}, {2, 1, 4}},
      {{2, 3, 4}, {}},     {{2, 3, 4}, {1}},    {{5, 1, 7}, {1, 1}},  {{4, 3, 5, 2}, {3, 1, 2}},
      {{1, 3, 4}, {3, 4}}, {{2, 3, 4}, {2, 3, 4}}, {{0, 3}, {3}},     {{3, 0}, {3, 1}},     {{1000, 17}, {17}},
      {{17, 1000}, {17, 1}},
      // Large enough to run in parallel, with thread chunks that cut output rows.
      {{300, 513}, {513}}, {{7, 300, 40}, {1, 300, 40}}, {{40, 30, 50}, {30, 1}},
  };
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const auto& [from, to] : cases) {
      Tensor g = test::random_tensor(from, dtype, 31);
      Tensor s = sum_to(g, to);
      INFO(dtype_name(dtype) << " " << from << " to " << to);
      REQUIRE(s.shape() == to);
      REQUIRE(s.dtype() == dtype);
      // Sums of up to 1000 N(0, 1) terms accumulated in the tensor's precision.
      REQUIRE(test::max_rel_diff(s, sum_to_reference(g, to)) <= (dtype == DType::float32 ? 1e-4 : 1e-12));
    }
  }
}

TEST_CASE("sum_to is not recorded on the tape") {
  tape().clear();
  Tensor g = test::random_tensor({1, 3, 4});
  g.requires_grad(true);
  Tensor s = sum_to(g, {4});
  Tensor same = sum_to(g, {3, 4});  // nothing to sum: a view of g
  CHECK(tape().size() == 0);
  CHECK_FALSE(s.requires_grad());
  CHECK_FALSE(same.requires_grad());
  CHECK(same.shape() == Shape{3, 4});
  CHECK(same.to_vector() == g.to_vector());
}

TEST_CASE("sum_to rejects a shape that does not broadcast to the gradient's") {
  REQUIRE_THROWS_WITH(sum_to(zeros({2, 3}), {2}),
                      Catch::StartsWith("sum_to") && Catch::Contains("[2, 3]") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(sum_to(zeros({3}), {2, 3}), Catch::StartsWith("sum_to") && Catch::Contains("[2, 3]"));
}

TEST_CASE("broadcast backward (sum_to) gives the same bits with 1 and 2 threads") {
  // Gradients of a [512, 300] ⊕ b for b of each reduced shape, large enough to run in parallel.
  const std::vector<Shape> shapes = {{300}, {512, 1}, {}, {1, 300}};
  for (DType dtype : {DType::float32, DType::float64}) {
    for (const Shape& sb : shapes) {
      INFO(dtype_name(dtype) << " b " << sb);
      test::require_same_bits_across_threads([&] {
        Tensor a = test::random_tensor({512, 300}, dtype, 41), b = divisor(sb, dtype, 42);
        b.requires_grad(true);
        backward(mul(a, b), test::random_tensor({512, 300}, dtype, 43));
        return b.grad();
      });
    }
  }
  REQUIRE(512 * 300 > kParallelGrain);
}
