#include <cmath>

#include "datasets/scaler.h"
#include "support.h"

using namespace tg;

TEST_CASE("StandardScaler: hand-computed mean, population std, and a constant feature") {
  // Columns: {1, 3, 5}: mean 3, std sqrt(8/3); {5, 5, 5}: constant; {2, 4, 9}: mean 5, std sqrt(26/3).
  Tensor train = tensor({1, 5, 2, 3, 5, 4, 5, 5, 9}, {3, 3}, DType::float64);
  StandardScaler scaler;
  scaler.fit(train);
  CHECK(scaler.mean() == std::vector<double>{3, 5, 5});
  CHECK(scaler.scale()[0] == Approx(std::sqrt(8.0 / 3)).epsilon(1e-15));
  CHECK(scaler.scale()[1] == 1.0);
  CHECK(scaler.scale()[2] == Approx(std::sqrt(26.0 / 3)).epsilon(1e-15));

  Tensor y = scaler.transform(train);
  REQUIRE(y.dtype() == DType::float64);
  CHECK(y.at({0, 0}) == Approx(-2 / std::sqrt(8.0 / 3)).epsilon(1e-15));
  CHECK(y.at({2, 2}) == Approx(4 / std::sqrt(26.0 / 3)).epsilon(1e-15));
  for (std::int64_t i = 0; i < 3; ++i) CHECK(y.at({i, 1}) == 0.0);

  // Another part is transformed with the training statistics; the constant feature keeps scale 1.
  Tensor test = tensor({3, 7, 5 + std::sqrt(26.0 / 3)}, {1, 3}, DType::float64);
  Tensor t = scaler.transform(test);
  CHECK(t.at({0, 0}) == 0.0);
  CHECK(t.at({0, 1}) == 2.0);
  CHECK(t.at({0, 2}) == Approx(1.0).epsilon(1e-14));
}

TEST_CASE("StandardScaler: a constant feature whose summed mean would round maps to exactly 0") {
  // 0.1 + 0.1 + 0.1 = 0.30000000000000004 in double; the mean must still be 0.1 exactly.
  Tensor x = tensor({0.1, 1, 0.1, 2, 0.1, 4}, {3, 2}, DType::float64);
  StandardScaler scaler;
  Tensor y = scaler.fit(x).transform(x);
  CHECK(scaler.mean()[0] == 0.1);
  CHECK(scaler.scale()[0] == 1.0);
  for (std::int64_t i = 0; i < 3; ++i) CHECK(y.at({i, 0}) == 0.0);
}

TEST_CASE("StandardScaler: float32 data comes out float32 with mean 0 and std 1 per feature") {
  Tensor x = test::random_tensor({5000, 4}, DType::float32, 3, 3.0, 10.0);
  StandardScaler scaler;
  Tensor y = scaler.fit(x).transform(x);
  REQUIRE(y.dtype() == DType::float32);
  for (std::int64_t j = 0; j < 4; ++j) {
    double s = 0, s2 = 0;
    for (std::int64_t i = 0; i < 5000; ++i) s += y.at({i, j}), s2 += y.at({i, j}) * y.at({i, j});
    CHECK(std::abs(s / 5000) < 1e-5);
    CHECK(s2 / 5000 == Approx(1.0).epsilon(1e-5));
  }
}

TEST_CASE("StandardScaler: the transform is bit-identical with 1 and 2 threads") {
  Tensor x = test::random_tensor({20000, 7}, DType::float32, 5, 2.0, 1.0);
  StandardScaler scaler;
  scaler.fit(x);
  test::require_same_bits_across_threads([&] { return scaler.transform(x); });
}

TEST_CASE("StandardScaler: a Dataset keeps its labels; statistics can be restored") {
  Dataset d{tensor({1, 2, 3, 4}, {2, 2}), labels({0, 1})};
  StandardScaler fitted;
  fitted.fit(d.features);
  Dataset t = fitted.transform(d);
  CHECK(t.labels.same(d.labels));
  CHECK(t.features.to_vector() == std::vector<double>{-1, -1, 1, 1});
  StandardScaler restored(fitted.mean(), fitted.scale());
  CHECK(restored.transform(d.features).to_vector() == t.features.to_vector());
}

TEST_CASE("StandardScaler rejects bad input naming the shapes") {
  StandardScaler scaler;
  REQUIRE_THROWS_WITH(scaler.transform(zeros({2, 2})), Catch::Contains("not been fitted"));
  REQUIRE_THROWS_WITH(scaler.fit(zeros({0, 3})), Catch::Contains("StandardScaler::fit") && Catch::Contains("[0, 3]"));
  REQUIRE_THROWS_WITH(scaler.fit(zeros({4})), Catch::Contains("[4]"));
  scaler.fit(zeros({2, 3}));
  REQUIRE_THROWS_WITH(scaler.transform(zeros({5, 2})), Catch::Contains("StandardScaler::transform") &&
                                                           Catch::Contains("[5, 2]") && Catch::Contains("3 features"));
  REQUIRE_THROWS_WITH(scaler.fit(labels({1, 2}).reshape({2, 1})), Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(StandardScaler({0.0}, {0.0}), Catch::Contains("positive scale"));
}
