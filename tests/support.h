// Shared helpers for the test programs.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace tg::test {

/// Sizes that straddle the SIMD widths (8 floats and 4 doubles with AVX2, 4/2 with SSE2),
/// plus a large odd size that exercises the scalar tail after many full batches.
inline const std::vector<std::int64_t> kSimdSizes = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1003};

/// A tensor of N(0, 1) values (times `scale`, plus `shift`) from a fixed seed.
inline Tensor random_tensor(const Shape& shape, DType dtype = DType::float64, std::uint64_t seed = 7,
                            double scale = 1.0, double shift = 0.0) {
  Generator gen(seed);
  return randn(shape, gen, dtype, shift, scale);
}

/// Runs gradcheck and fails the test with its report when the error is above tolerance.
inline void require_gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, double tolerance = 1e-6) {
  GradcheckOptions options;
  options.tolerance = tolerance;
  GradcheckResult r = gradcheck(f, inputs, options);
  INFO(r.str());
  REQUIRE(r.checked > 0);
  REQUIRE(r.ok);
}

/// Largest |a − b| / max(1, |b|) over all elements of two tensors of the same shape.
inline double max_rel_diff(const Tensor& a, const std::vector<double>& b) {
  REQUIRE(a.numel() == static_cast<std::int64_t>(b.size()));
  std::vector<double> va = a.to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    worst = std::max(worst, std::abs(va[i] - b[i]) / std::max(1.0, std::abs(b[i])));
  return worst;
}

}  // namespace tg::test
