#include <cmath>

#include "ops/norm.h"
#include "support.h"

using namespace tg;

namespace {
// w_ij = g_i · v_ij / ‖v_i‖ in double.
std::vector<double> weight_norm_reference(const std::vector<double>& v, const std::vector<double>& g,
                                          std::int64_t in) {
  std::vector<double> w(v.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    double squares = 0;
    for (std::int64_t j = 0; j < in; ++j) squares += v[i * in + j] * v[i * in + j];
    for (std::int64_t j = 0; j < in; ++j) w[i * in + j] = g[i] * v[i * in + j] / std::sqrt(squares);
  }
  return w;
}
}  // namespace

TEST_CASE("weight_norm forward matches the double reference at widths around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t in : test::kSimdSizes) {
      if (in == 0) continue;  // an empty row has no direction
      Tensor v = test::random_tensor({3, in}, dtype, 11, 2.0);
      Tensor g = test::random_tensor({3}, dtype, 12, 1.0, 1.5);
      Tensor w = weight_norm(v, g);
      INFO(dtype_name(dtype) << " in=" << in);
      REQUIRE(w.shape() == Shape{3, in});
      REQUIRE(test::max_rel_diff(w, weight_norm_reference(v.to_vector(), g.to_vector(), in)) <=
              (dtype == DType::float32 ? 1e-6 : 1e-14));
    }
  }
}

TEST_CASE("weight_norm: each row of w has length |g_i| whatever the scale of v") {
  Tensor v = test::random_tensor({4, 9}, DType::float64, 13, 100.0);
  Tensor g = tensor({0.5, 2, 3, -1}, DType::float64);
  const std::vector<double> w = weight_norm(v, g).to_vector();
  for (int i = 0; i < 4; ++i) {
    double squares = 0;
    for (int j = 0; j < 9; ++j) squares += w[i * 9 + j] * w[i * 9 + j];
    CHECK(std::sqrt(squares) == Approx(std::abs(g.to_vector()[i])).epsilon(1e-14));
  }
}

TEST_CASE("weight_norm gradient matches finite differences") {
  for (std::int64_t in : {1, 4, 9}) {
    Tensor v = test::random_tensor({3, in}, DType::float64, 14), g = test::random_tensor({3}, DType::float64, 15);
    v.requires_grad(true), g.requires_grad(true);
    INFO("in=" << in);
    test::require_gradcheck([](const std::vector<Tensor>& t) { return weight_norm(t[0], t[1]); }, {v, g});
  }
}

TEST_CASE("weight_norm rejects bad shapes and dtypes, naming both inputs") {
  Tensor v = test::random_tensor({3, 4}), g = test::random_tensor({3});
  CHECK_THROWS_WITH(weight_norm(test::random_tensor({12}), g),
                    Catch::StartsWith("weight_norm: v is [12], g is [3]: expected v [out, in] and g [out]"));
  CHECK_THROWS_WITH(weight_norm(v, test::random_tensor({4})),
                    Catch::StartsWith("weight_norm: v is [3, 4], g is [4]"));
  CHECK_THROWS_WITH(weight_norm(v.to(DType::float32), g), Catch::Contains("dtypes differ"));
  CHECK_THROWS_WITH(weight_norm(v, Tensor()), Catch::Contains("must be defined"));
}
