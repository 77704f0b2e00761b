// exp, log, sqrt, square, pow, tanh, sigmoid, relu, elu — one op file each, tested together.
#include <cmath>
#include <cstring>
#include <functional>
#include <span>

#include "tensor/parallel.h"
#include "tensor/random.h"
#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "support.h"

using namespace tg;

namespace {

using UnaryFn = std::function<Tensor(const Tensor&)>;

enum class Domain { any, positive, away_from_zero };

// Inputs for an op: N(0, 2²) values, uniform on (0.1, 4), or N(0, 2²) pushed out of (−0.1, 0.1).
Tensor inputs(const Shape& shape, DType dtype, Domain domain, std::uint64_t seed) {
  Generator gen(seed);
  if (domain == Domain::positive) return rand(shape, gen, dtype, 0.1, 4.0);
  Tensor x = randn(shape, gen, DType::float64, 0.0, 2.0);
  if (domain == Domain::away_from_zero)
    for (double& v : std::span<double>(x.data<double>(), x.numel())) v += v >= 0 ? 0.1 : -0.1;
  return x.to(dtype);
}

// Forward against a double reference at the SIMD sizes, float32 and float64.
void check_forward(const UnaryFn& f, const std::function<double(double)>& reference, Domain domain = Domain::any,
                   double tolerance32 = 1e-6, double tolerance64 = 1e-14) {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor x = inputs({n}, dtype, domain, 3);
      std::vector<double> expected;
      for (double v : x.to_vector()) expected.push_back(reference(v));
      INFO(dtype_name(dtype) << " n=" << n);
      Tensor y = f(x);
      REQUIRE(y.shape() == x.shape());
      REQUIRE(y.dtype() == dtype);
      REQUIRE(test::max_rel_diff(y, expected) <= (dtype == DType::float32 ? tolerance32 : tolerance64));
    }
  }
}

void check_gradient(const UnaryFn& f, Domain domain = Domain::any) {
  for (const Shape& shape : {Shape{1}, Shape{5}, Shape{37}, Shape{3, 4}}) {
    Tensor x = inputs(shape, DType::float64, domain, 11);
    x.requires_grad(true);
    INFO("shape " << shape);
    test::require_gradcheck([f](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
  }
}

const double kOtherAlpha = 0.7;  // an ELU alpha other than the default 1

}  // namespace

// ---- exp ----
TEST_CASE("exp forward matches the double reference") { check_forward(tg::exp, [](double v) { return std::exp(v); }); }
TEST_CASE("exp gradient matches finite differences") { check_gradient(tg::exp); }

// ---- log ----
TEST_CASE("log forward matches the double reference") {
  check_forward(tg::log, [](double v) { return std::log(v); }, Domain::positive);
}
TEST_CASE("log gradient matches finite differences") { check_gradient(tg::log, Domain::positive); }

// ---- sqrt ----
TEST_CASE("sqrt forward matches the double reference") {
  check_forward(tg::sqrt, [](double v) { return std::sqrt(v); }, Domain::positive);
}
TEST_CASE("sqrt gradient matches finite differences") { check_gradient(tg::sqrt, Domain::positive); }

// ---- square ----
TEST_CASE("square forward matches the double reference") { check_forward(square, [](double v) { return v * v; }); }
TEST_CASE("square gradient matches finite differences") { check_gradient(square); }

// ---- pow ----
TEST_CASE("pow forward matches the double reference") {
  for (double p : {2.5, -1.5, 0.5, 1.0, 0.0}) {
    INFO("p=" << p);
    check_forward([p](const Tensor& x) { return tg::pow(x, p); }, [p](double v) { return std::pow(v, p); },
                  Domain::positive);
  }
  // Integer exponents of negative bases keep their sign.
  for (double p : {2.0, 3.0, -1.0}) {
    INFO("p=" << p);
    check_forward([p](const Tensor& x) { return tg::pow(x, p); }, [p](double v) { return std::pow(v, p); },
                  Domain::away_from_zero);
  }
}
TEST_CASE("pow follows std::pow at zero and for non-integer powers of negative numbers") {
  for (DType dtype : {DType::float32, DType::float64}) {
    // 17 copies, so that SIMD batches and the scalar tail both see each value.
    for (double p : {2.0, 0.0, -1.0}) {
      Tensor y = tg::pow(zeros({17}, dtype), p);
      for (double v : y.to_vector()) CHECK(v == std::pow(0.0, p));
    }
    for (double v : tg::pow(full({17}, -2.0, dtype), 0.5).to_vector()) CHECK(std::isnan(v));
  }
}
TEST_CASE("pow gradient matches finite differences") {
  for (double p : {2.5, -1.5, 0.5, 3.0}) {
    INFO("p=" << p);
    check_gradient([p](const Tensor& x) { return tg::pow(x, p); }, Domain::positive);
  }
  check_gradient([](const Tensor& x) { return tg::pow(x, 3.0); }, Domain::away_from_zero);
}
TEST_CASE("pow gradient is 0 for p = 0, even at x = 0") {
  Tensor x = tensor({0.0, 2.0}, DType::float64);
  x.requires_grad(true);
  backward(tg::pow(x, 0.0), ones({2}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0});
}

// ---- tanh ----
TEST_CASE("tanh forward matches the double reference") {
  check_forward(tg::tanh, [](double v) { return std::tanh(v); });
}
TEST_CASE("tanh gradient matches finite differences") { check_gradient(tg::tanh); }

// ---- sigmoid ----
double sigmoid_reference(double v) { return 1 / (1 + std::exp(-v)); }
TEST_CASE("sigmoid forward matches the double reference") { check_forward(sigmoid, sigmoid_reference); }
TEST_CASE("sigmoid keeps full relative precision far out and never gives NaN") {
  Tensor y = sigmoid(tensor({-30.0, -700.0, -800.0, 800.0, 0.0}, DType::float64));
  CHECK(y.at({0}) == Approx(9.35762296883929895e-14).epsilon(1e-15));   // 1/(1 + e³⁰), 30 digits via mpmath
  CHECK(y.at({1}) == Approx(9.85967654375977086e-305).epsilon(1e-14));  // where 1 − y would round to 0
  CHECK(y.at({2}) == 0.0);                                               // e⁸⁰⁰ overflows: the limit, not NaN
  CHECK(y.at({3}) == 1.0);
  CHECK(y.at({4}) == 0.5);
  Tensor y32 = sigmoid(tensor({-100.0, 100.0}, DType::float32));
  CHECK(y32.at({0}) == 0.0);
  CHECK(y32.at({1}) == 1.0);
}
TEST_CASE("sigmoid gradient matches finite differences") { check_gradient(sigmoid); }

// ---- relu ----
TEST_CASE("relu forward matches the double reference") {
  check_forward(relu, [](double v) { return v > 0 ? v : 0.0; }, Domain::any, 0.0, 0.0);
}
TEST_CASE("relu gradient matches finite differences") { check_gradient(relu, Domain::away_from_zero); }
TEST_CASE("relu gradient passes gy where x > 0 and nothing elsewhere") {
  Tensor x = tensor({-1.0, 0.0, 2.0}, DType::float64);
  x.requires_grad(true);
  backward(relu(x), tensor({5.0, 6.0, 7.0}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 7});
}

// ---- elu ----
TEST_CASE("elu forward matches the double reference") {
  for (double alpha : {1.0, kOtherAlpha, 0.0}) {
    INFO("alpha=" << alpha);
    check_forward([alpha](const Tensor& x) { return elu(x, alpha); },
                  [alpha](double v) { return v > 0 ? v : alpha * std::expm1(v); });
  }
}
TEST_CASE("elu gradient matches finite differences") {
  for (double alpha : {1.0, kOtherAlpha}) {
    INFO("alpha=" << alpha);
    check_gradient([alpha](const Tensor& x) { return elu(x, alpha); }, Domain::away_from_zero);
  }
}
TEST_CASE("elu rejects a negative alpha, naming the op") {
  REQUIRE_THROWS_WITH(elu(zeros({2, 3}), -1.0), Catch::StartsWith("elu") && Catch::Contains("[2, 3]"));
}

// ---- all of them ----
TEST_CASE("unary ops reject an int64 tensor naming the op") {
  const Tensor l = labels({1, 2});
  REQUIRE_THROWS_WITH(tg::exp(l), Catch::StartsWith("exp") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::log(l), Catch::StartsWith("log") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::sqrt(l), Catch::StartsWith("sqrt") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::pow(l, 2.0), Catch::StartsWith("pow") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(tg::tanh(l), Catch::StartsWith("tanh") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(sigmoid(l), Catch::StartsWith("sigmoid") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(relu(l), Catch::StartsWith("relu") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(elu(l), Catch::StartsWith("elu") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(square(l), Catch::Contains("int64"));  // square is mul(x, x): mul names itself
}

TEST_CASE("unary ops give the same bits with 1 and 2 threads, forward and backward") {
  const std::vector<std::pair<const char*, UnaryFn>> ops = {
      {"exp", tg::exp},   {"log", tg::log},   {"sqrt", tg::sqrt}, {"square", square},
      {"tanh", tg::tanh}, {"sigmoid", sigmoid}, {"relu", relu},   {"elu", [](const Tensor& x) { return elu(x); }},
      {"pow", [](const Tensor& x) { return tg::pow(x, 2.5); }},
  };
  const int threads = num_threads();
  const std::int64_t n = 3 * kParallelGrain + 5;  // several SIMD tails' worth past the grain
  for (const auto& [name, f] : ops) {
    for (DType dtype : {DType::float32, DType::float64}) {
      Tensor results[2][2];
      for (int t : {1, 2}) {
        set_num_threads(t);
        Tensor x = inputs({n}, dtype, Domain::positive, 17);
        x.requires_grad(true);
        Tensor y = f(x);
        backward(y, inputs({n}, dtype, Domain::any, 18));
        results[t - 1][0] = y;
        results[t - 1][1] = x.grad();
      }
      set_num_threads(threads);
      INFO(name << " " << dtype_name(dtype));
      for (int k = 0; k < 2; ++k)
        REQUIRE(std::memcmp(results[0][k].raw_data(), results[1][k].raw_data(), n * dtype_size(dtype)) == 0);
    }
  }
}
