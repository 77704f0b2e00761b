// The checks every elementwise unary op's test file runs (tests/ops/test_exp.cpp and its
// siblings, one per op file in ops/): forward against a double-precision reference at the SIMD
// sizes in float32 and float64, the float64 gradient against finite differences, an int64 or undefined
// input rejected naming the op, and the same bits with 1 and 2 threads, forward and backward.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "support.h"

namespace tg::test {

using UnaryFn = std::function<Tensor(const Tensor&)>;

/// Where an op's inputs come from: N(0, 2²) values, uniform on (0.1, 4), or N(0, 2²) pushed out
/// of (−0.1, 0.1) (for kinks at 0 and integer powers of negative numbers).
enum class Domain { any, positive, away_from_zero };

inline Tensor unary_inputs(const Shape& shape, DType dtype, Domain domain, std::uint64_t seed) {
  Generator gen(seed);
  if (domain == Domain::positive) return rand(shape, gen, dtype, 0.1, 4.0);
  Tensor x = randn(shape, gen, DType::float64, 0.0, 2.0);
  if (domain == Domain::away_from_zero)
    for (double& v : std::span<double>(x.data<double>(), x.numel())) v += v >= 0 ? 0.1 : -0.1;
  return x.to(dtype);
}

/// f against `reference` applied elementwise in double, at kSimdSizes in float32 and float64:
/// same shape and dtype, and max_rel_diff within the dtype's tolerance.
inline void require_unary_forward(const UnaryFn& f, const std::function<double(double)>& reference,
                                  Domain domain = Domain::any, double tolerance32 = 1e-6, double tolerance64 = 1e-14) {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : kSimdSizes) {
      Tensor x = unary_inputs({n}, dtype, domain, 3);
      std::vector<double> expected;
      for (double v : x.to_vector()) expected.push_back(reference(v));
      INFO(dtype_name(dtype) << " n=" << n);
      Tensor y = f(x);
      REQUIRE(y.shape() == x.shape());
      REQUIRE(y.dtype() == dtype);
      REQUIRE(max_rel_diff(y, expected) <= (dtype == DType::float32 ? tolerance32 : tolerance64));
    }
  }
}

/// gradcheck of f in float64 on 1-D and 2-D inputs from `domain`.
inline void require_unary_gradcheck(const UnaryFn& f, Domain domain = Domain::any) {
  for (const Shape& shape : {Shape{1}, Shape{5}, Shape{37}, Shape{3, 4}}) {
    Tensor x = unary_inputs(shape, DType::float64, domain, 11);
    x.requires_grad(true);
    INFO("shape " << shape);
    require_gradcheck([f](const std::vector<Tensor>& in) { return f(in[0]); }, {x});
  }
}

/// f of an int64 tensor throws a tg::Error that starts with `op` and names the dtype.
inline void require_unary_rejects_int64(const UnaryFn& f, const std::string& op) {
  REQUIRE_THROWS_WITH(f(labels({1, 2})), Catch::StartsWith(op) && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(f(Tensor()), Catch::StartsWith(op) && Catch::Contains("undefined"));
}

/// y = f(x) and x's gradient have the same bits with 1 and 2 threads, in float32 and float64, on
/// positive inputs (valid for every op) several SIMD tails' worth past the parallel grain.
inline void require_unary_same_bits_across_threads(const UnaryFn& f) {
  const std::int64_t n = 3 * kParallelGrain + 5;
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO(dtype_name(dtype));
    require_same_bits_across_threads([&] {
      Tensor x = unary_inputs({n}, dtype, Domain::positive, 17);
      x.requires_grad(true);
      Tensor y = f(x);
      backward(y, unary_inputs({n}, dtype, Domain::any, 18));
      return std::vector<Tensor>{y, x.grad()};
    });
  }
}

}  // namespace tg::test
