#include "autograd/tape.h"
#include "ops/loss.h"
#include "loss_reference.h"
#include "support.h"

using namespace tg;

namespace {
std::vector<double> reference(const Tensor& p, const Tensor& t, Reduction reduction) {
  const std::vector<double> a = p.to_vector(), b = t.to_vector();
  std::vector<double> e;
  for (std::size_t i = 0; i < a.size(); ++i) e.push_back((a[i] - b[i]) * (a[i] - b[i]));
  return test::reduce_reference(e, reduction);
}
}  // namespace

TEST_CASE("mse_loss matches the double reference at sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t n : test::kSimdSizes) {
      Tensor p = test::random_tensor({n}, dtype, 71), t = test::random_tensor({n}, dtype, 72);
      for (Reduction reduction : test::kReductions) {
        if (n == 0 && reduction == Reduction::mean) continue;  // 0/0
        INFO(dtype_name(dtype) << " n=" << n << " reduction=" << test::reduction_name(reduction));
        Tensor loss = mse_loss(p, t, reduction);
        CHECK(loss.shape() == (reduction == Reduction::none ? Shape{n} : Shape{}));
        CHECK(test::max_rel_diff(loss, reference(p, t, reduction)) <= (dtype == DType::float32 ? 2e-6 : 1e-14));
      }
    }
  }
}

TEST_CASE("mse_loss keeps the shape of multi-dimensional inputs with Reduction::none") {
  Tensor p = test::random_tensor({3, 4, 5}, DType::float64, 73), t = test::random_tensor({3, 4, 5}, DType::float64, 74);
  Tensor e = mse_loss(p, t, Reduction::none);
  CHECK(e.shape() == Shape{3, 4, 5});
  CHECK(test::max_rel_diff(e, reference(p, t, Reduction::none)) <= 1e-15);
}

TEST_CASE("mse_loss gradient matches finite differences for prediction and target, every reduction") {
  for (Reduction reduction : test::kReductions) {
    INFO("reduction=" << test::reduction_name(reduction));
    Tensor p = test::random_tensor({3, 7}, DType::float64, 75), t = test::random_tensor({3, 7}, DType::float64, 76);
    p.requires_grad(true);
    t.requires_grad(true);
    auto f = [&](const std::vector<Tensor>& in) { return mse_loss(in[0], in[1], reduction); };
    test::require_gradcheck(f, {p, t});
    t.requires_grad(false);  // a fixed target, the usual case
    test::require_gradcheck(f, {p, t});
  }
}

TEST_CASE("mse_loss rejects mismatched shapes and dtypes naming the op and the shapes") {
  REQUIRE_THROWS_WITH(mse_loss(zeros({4, 1}), zeros({4})),
                      Catch::Contains("mse_loss") && Catch::Contains("[4, 1]") && Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(mse_loss(zeros({4}), zeros({4}, DType::float64)),
                      Catch::Contains("mse_loss") && Catch::Contains("float64") && Catch::Contains("[4]"));
  REQUIRE_THROWS_WITH(mse_loss(labels({1}), labels({1})), Catch::Contains("mse_loss") && Catch::Contains("int64"));
}

TEST_CASE("mse_loss gives the same bits with 1 and 2 threads") {
  Tensor p = test::random_tensor({150001}, DType::float32, 77), t = test::random_tensor({150001}, DType::float32, 78);
  p.requires_grad(true);
  auto run = [&] {
    std::vector<std::vector<double>> out;
    for (Reduction reduction : {Reduction::mean, Reduction::sum}) {
      Tensor loss = mse_loss(p, t, reduction);
      backward(loss);
      out.push_back(loss.to_vector());
      out.push_back(p.grad().to_vector());
      p.zero_grad();
    }
    return out;
  };
  const auto one = test::require_same_bits_across_threads(run);
  CHECK(one[0][0] == Approx(reference(p, t, Reduction::mean)[0]).epsilon(1e-6));
}
