#include <cmath>
#include <vector>

#include "tensor/random.h"
#include "support.h"

using namespace tg;

TEST_CASE("random tensors depend on (seed, position) only, not on the thread count") {
  test::require_same_bits_across_threads([] {
    Generator gen(42);
    return randn({300000}, gen);
  });
}

TEST_CASE("a generator advances: successive draws differ, (seed, offset) reproduces them") {
  Generator g(5);
  Tensor a = randn({10}, g, DType::float64);
  Tensor b = randn({10}, g, DType::float64);
  CHECK(a.to_vector() != b.to_vector());
  CHECK(g.offset() == 20);
  Generator resumed(5, 10);
  CHECK(randn({10}, resumed, DType::float64).to_vector() == b.to_vector());
}

TEST_CASE("normal, uniform and Bernoulli draws have the right moments") {
  const std::int64_t n = 1000000;
  Generator g(1);
  auto moments = [](const Tensor& t) {
    double s = 0, s2 = 0;
    for (double v : t.to_vector()) s += v, s2 += v * v;
    double mean = s / t.numel();
    return std::pair{mean, s2 / t.numel() - mean * mean};
  };
  auto [m, v] = moments(randn({n}, g, DType::float64, 1.0, 2.0));
  CHECK(std::abs(m - 1.0) < 5 * 2.0 / std::sqrt(n));
  CHECK(std::abs(v - 4.0) < 0.03);
  auto [mu, vu] = moments(rand({n}, g, DType::float64, -1, 1));
  CHECK(std::abs(mu) < 0.005);
  CHECK(std::abs(vu - 1.0 / 3) < 0.005);
  auto [mb, vb] = moments(bernoulli({n}, 0.9, g));
  CHECK(std::abs(mb - 0.9) < 5 * 0.3 / std::sqrt(n));
  REQUIRE_THROWS_WITH(bernoulli({2}, 1.5, g), Catch::Contains("bernoulli"));
}

TEST_CASE("randperm is a permutation") {
  Generator g(3);
  auto p = randperm(1000, g);
  std::vector<std::int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (std::int64_t i = 0; i < 1000; ++i) REQUIRE(sorted[i] == i);
  CHECK(p != sorted);
}

TEST_CASE("uniform_fill gives uniform_at's bits at every length, offset and 2^32 counter carry") {
  // Note [Philox eight at a time]: the vector path must be the scalar Philox, word for word.
  const std::uint64_t seeds[] = {0, 1, 0x123456789abcdefULL};
  const std::uint64_t firsts[] = {0, 5, (std::uint64_t{1} << 32) - 3, 0xfffffffffffffff0ULL};
  for (std::uint64_t seed : seeds)
    for (std::uint64_t first : firsts)
      for (std::int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 300}) {
        std::vector<double> u(static_cast<std::size_t>(n) + 1, -1.0);
        uniform_fill(seed, first, n, u.data());
        for (std::int64_t i = 0; i < n; ++i) {
          INFO("seed " << seed << " first " << first << " n " << n << " i " << i);
          REQUIRE(u[i] == uniform_at(seed, first + static_cast<std::uint64_t>(i)));
        }
        CHECK(u[n] == -1.0);  // writes exactly n values
      }
}

TEST_CASE("rand and bernoulli are functions of uniform_at(seed, offset + i)") {
  Generator gen(7, 11);
  const Tensor u = rand({1001}, gen, DType::float64, -2.0, 3.0);
  const Tensor b = bernoulli({1001}, 0.3, gen, DType::float64);
  for (std::int64_t i = 0; i < 1001; ++i) {
    // (to the last bit or so: the compiler may fuse the multiply-add on one side only)
    REQUIRE(u.data<double>()[i] == Approx(-2.0 + 5.0 * uniform_at(7, 11 + static_cast<std::uint64_t>(i))).epsilon(1e-15).margin(1e-15));
    REQUIRE(b.data<double>()[i] == (uniform_at(7, 11 + 1001 + static_cast<std::uint64_t>(i)) < 0.3 ? 1.0 : 0.0));
  }
}
