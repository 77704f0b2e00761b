#include <sstream>

#include "autograd/tape.h"
#include "support.h"

using namespace tg;

TEST_CASE("creation functions fill shape, dtype and values") {
  Tensor z = zeros({2, 3});
  CHECK(z.shape() == Shape{2, 3});
  CHECK(z.dtype() == DType::float32);
  CHECK(z.numel() == 6);
  CHECK(z.at({1, 2}) == 0.0);
  CHECK(ones({4}, DType::float64).at({3}) == 1.0);
  CHECK(full({2, 2}, 2.5).at({1, 0}) == 2.5);
  Tensor r = arange(0, 5);
  CHECK(r.to_vector() == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(arange(1, 2, 0.25, DType::float64).numel() == 4);
  Tensor t = tensor({1, 2, 3, 4, 5, 6}, Shape{2, 3}, DType::float64);
  CHECK(t.at({1, 0}) == 4.0);
  CHECK(labels({3, 1}).at({0}) == 3.0);
  CHECK(zeros({0, 5}).numel() == 0);
}

TEST_CASE("buffers are 64-byte aligned") {
  for (std::int64_t n : {1, 3, 17, 1000}) {
    Tensor t = empty({n}, DType::float64);
    CHECK(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64 == 0);
  }
}

TEST_CASE("copies share storage, clone copies") {
  Tensor a = zeros({3});
  Tensor b = a;
  b.set({1}, 5);
  CHECK(a.at({1}) == 5.0);
  Tensor c = a.clone();
  c.set({1}, 7);
  CHECK(a.at({1}) == 5.0);
  CHECK(c.at({1}) == 7.0);
}

TEST_CASE("reshape is a view and rows slice mini-batches") {
  Tensor a = arange(0, 12).reshape({3, 4});
  CHECK(a.at({2, 1}) == 9.0);
  Tensor r = a.rows(1, 3);
  CHECK(r.shape() == Shape{2, 4});
  CHECK(r.at({0, 0}) == 4.0);
  r.set({0, 0}, -1);
  CHECK(a.at({1, 0}) == -1.0);  // a view writes through
  CHECK(a.rows(3, 3).numel() == 0);
}

TEST_CASE("reshape and rows reject bad shapes with the shapes in the message") {
  Tensor a = zeros({3, 4});
  REQUIRE_THROWS_WITH(a.reshape({5, 2}), Catch::Contains("reshape") && Catch::Contains("[3, 4]") &&
                                             Catch::Contains("[5, 2]"));
  REQUIRE_THROWS_WITH(a.rows(2, 4), Catch::Contains("rows") && Catch::Contains("[3, 4]"));
  REQUIRE_THROWS_WITH(a.at({3, 0}), Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(tensor({1, 2, 3}, Shape{2, 2}), Catch::Contains("tensor") && Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(labels({1}).requires_grad(true), Catch::Contains("int64"));
}

TEST_CASE("reshape, rows, clone and to pass gradients back") {
  Tensor x = test::random_tensor({4, 3});
  x.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return in[0].reshape({2, 6}).rows(1, 2).clone(); }, {x});
  Tensor y = x.to(DType::float32);
  backward(y, ones({4, 3}));
  CHECK(x.grad().dtype() == DType::float64);
  CHECK(x.grad().at({3, 2}) == 1.0);
}

TEST_CASE("reshape infers one -1 extent, at sizes around the SIMD width") {
  for (std::int64_t n : test::kSimdSizes) {
    INFO("n=" << n);
    Tensor x = test::random_tensor({n, 3});
    const std::vector<double> values = x.to_vector();
    Tensor flat = x.reshape({-1});
    CHECK(flat.shape() == Shape{3 * n});
    CHECK(flat.to_vector() == values);  // a view: same elements in the same order
    CHECK(x.reshape({3, -1}).shape() == Shape{3, n});
    CHECK(x.reshape({-1, 1, 3}).shape() == Shape{n, 1, 3});
    const std::vector<std::int64_t> dims{-1, 3};
    CHECK(flat.reshape(dims).shape() == Shape{n, 3});  // runtime extents through the span overload
  }
  CHECK(zeros({2, 3, 4}).reshape({2, -1, 2}).shape() == Shape{2, 6, 2});
  CHECK(zeros({}).reshape({-1}).shape() == Shape{1});
}

TEST_CASE("reshape with -1 passes the gradient back") {
  Tensor x = test::random_tensor({4, 3});
  x.requires_grad(true);
  test::require_gradcheck([](const std::vector<Tensor>& in) { return in[0].reshape({-1, 2}).rows(1, 5); }, {x});
}

TEST_CASE("reshape rejects two -1s, a size that does not divide, and other negative extents") {
  const Tensor a = zeros({3, 4});
  REQUIRE_THROWS_WITH(a.reshape({-1, -1}), Catch::Contains("reshape") && Catch::Contains("[3, 4] float32") &&
                                                Catch::Contains("[-1, -1]") && Catch::Contains("only one extent"));
  REQUIRE_THROWS_WITH(a.reshape({-1, 5}), Catch::Contains("[-1, 5]") &&
                                              Catch::Contains("12 elements are not a multiple of 5"));
  REQUIRE_THROWS_WITH(a.reshape({-2, 6}), Catch::Contains("extent -2 is negative"));
  REQUIRE_THROWS_WITH(zeros({0, 4}).reshape({0, -1}), Catch::Contains("ambiguous"));
  REQUIRE_THROWS_WITH(a.reshape({2, 2}), Catch::Contains("[3, 4]") && Catch::Contains("[2, 2]"));
}

TEST_CASE("to converts between dtypes") {
  Tensor a = tensor({1.5, -2.25}, DType::float64);
  Tensor b = a.to(DType::float32);
  CHECK(b.dtype() == DType::float32);
  CHECK(b.at({1}) == -2.25);
  CHECK(a.to(DType::int64).at({0}) == 1.0);
}

TEST_CASE("printing shows shape, dtype and values") {
  std::ostringstream out;
  out << tensor({1, 2, 3, 4}, Shape{2, 2});
  CHECK(out.str() == "tensor([2, 2], float32)\n[[1, 2],\n [3, 4]]");
  std::ostringstream big;
  big << zeros({100});
  CHECK(big.str().find("...") != std::string::npos);
}
