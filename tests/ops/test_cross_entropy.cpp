#include <cmath>

#include "autograd/tape.h"
#include "ops/loss.h"
#include "loss_reference.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {
// Per-row −log softmax(x)[label] in double, then reduced.
std::vector<double> reference(const Tensor& logits, const std::vector<std::int64_t>& label, Reduction reduction) {
  const std::int64_t batch = logits.size(0), classes = logits.size(1);
  const std::vector<double> v = logits.to_vector();
  std::vector<double> losses;
  for (std::int64_t r = 0; r < batch; ++r) {
    double m = -INFINITY, s = 0;
    for (std::int64_t c = 0; c < classes; ++c) m = std::max(m, v[r * classes + c]);
    for (std::int64_t c = 0; c < classes; ++c) s += std::exp(v[r * classes + c] - m);
    losses.push_back(m + std::log(s) - v[r * classes + label[r]]);
  }
  return test::reduce_reference(losses, reduction);
}

std::vector<std::int64_t> some_labels(std::int64_t batch, std::int64_t classes) {
  return test::cycling_labels(batch, classes, 7, 3);
}
}  // namespace

TEST_CASE("cross_entropy matches the double reference for class counts around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t classes : test::kSimdSizes) {
      if (classes == 0) continue;  // no valid label exists
      Tensor x = test::random_tensor({5, classes}, dtype, 51, 3.0);
      const auto label = some_labels(5, classes);
      for (Reduction reduction : test::kReductions) {
        INFO(dtype_name(dtype) << " classes=" << classes << " reduction=" << test::reduction_name(reduction));
        Tensor loss = cross_entropy(x, labels(label), reduction);
        CHECK(loss.shape() == (reduction == Reduction::none ? Shape{5} : Shape{}));
        CHECK(test::max_rel_diff(loss, reference(x, label, reduction)) <= (dtype == DType::float32 ? 2e-6 : 1e-14));
      }
    }
  }
}

TEST_CASE("cross_entropy equals the composite log_softmax then nll_loss, values and gradients") {
  Tensor x = test::random_tensor({7, 13}, DType::float64, 52, 2.0);
  const auto label = some_labels(7, 13);
  for (Reduction reduction : test::kReductions) {
    INFO("reduction=" << test::reduction_name(reduction));
    Tensor fused_x = x.clone(), composite_x = x.clone();
    fused_x.requires_grad(true);
    composite_x.requires_grad(true);
    Tensor gy = reduction == Reduction::none ? test::random_tensor({7}, DType::float64, 53) : Tensor();
    Tensor fused = cross_entropy(fused_x, labels(label), reduction);
    backward(fused, gy);  // backward clears the whole tape: run the composite after it
    Tensor composite = nll_loss(log_softmax(composite_x), labels(label), reduction);
    backward(composite, gy);
    CHECK(test::max_rel_diff(fused, composite.to_vector()) <= 1e-14);
    CHECK(test::max_rel_diff(fused_x.grad(), composite_x.grad().to_vector()) <= 1e-14);
  }
}

TEST_CASE("cross_entropy gradient is softmax minus one-hot, scaled by the reduction") {
  Tensor x = tensor({0, 0, std::log(2.0), 1, 1, 1}, {2, 3}, DType::float64);  // softmax rows: ¼ ¼ ½ and ⅓ ⅓ ⅓
  x.requires_grad(true);
  backward(cross_entropy(x, labels({2, 0}), Reduction::mean));
  const std::vector<double> expected{0.125, 0.125, -0.25, -1.0 / 3, 1.0 / 6, 1.0 / 6};
  CHECK(test::max_rel_diff(x.grad(), expected) <= 1e-15);
}

TEST_CASE("cross_entropy gradient matches finite differences for every reduction") {
  for (Reduction reduction : test::kReductions) {
    INFO("reduction=" << test::reduction_name(reduction));
    Tensor x = test::random_tensor({4, 11}, DType::float64, 54, 2.0);
    x.requires_grad(true);
    Tensor target = labels(some_labels(4, 11));
    test::require_gradcheck([&](const std::vector<Tensor>& in) { return cross_entropy(in[0], target, reduction); }, {x});
  }
}

TEST_CASE("cross_entropy is stable for huge logits") {
  Tensor x = tensor({1000, 0, -1000, 500, 502, 501}, {2, 3}, DType::float32);
  Tensor loss = cross_entropy(x, labels({1, 1}), Reduction::none);
  CHECK(loss.at({0}) == Approx(1000.0));
  CHECK(loss.at({1}) == Approx(reference(x, {1, 1}, Reduction::none)[1]).epsilon(1e-6));
}

TEST_CASE("cross_entropy rejects bad shapes and labels naming the op and the shapes") {
  Tensor x = zeros({4, 10});
  REQUIRE_THROWS_WITH(cross_entropy(x, labels({1, 2, 3, 4, 5})),
                      Catch::Contains("cross_entropy") && Catch::Contains("[4, 10]") && Catch::Contains("[5]") &&
                          Catch::Contains("batch sizes differ"));
  REQUIRE_THROWS_WITH(cross_entropy(zeros({10}), labels({1})),
                      Catch::Contains("cross_entropy") && Catch::Contains("[10]"));
  REQUIRE_THROWS_WITH(cross_entropy(x, zeros({4})), Catch::Contains("cross_entropy") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(cross_entropy(x, labels({1, 2, 3, 4}).reshape({2, 2})),
                      Catch::Contains("cross_entropy") && Catch::Contains("[2, 2]"));
  REQUIRE_THROWS_WITH(cross_entropy(x, labels({1, 2, 10, 4})),
                      Catch::Contains("cross_entropy") && Catch::Contains("label 10") && Catch::Contains("row 2") &&
                          Catch::Contains("[4, 10]"));
  REQUIRE_THROWS_WITH(cross_entropy(x, labels({-1, 2, 3, 4})),
                      Catch::Contains("label -1") && Catch::Contains("row 0"));
  REQUIRE_THROWS_WITH(cross_entropy(labels({1, 2}).reshape({1, 2}), labels({0})),
                      Catch::Contains("cross_entropy") && Catch::Contains("int64"));
}

TEST_CASE("cross_entropy of [512, 784] gives the same bits with 1 and 2 threads") {
  Tensor x = test::random_tensor({512, 784}, DType::float32, 55, 2.0);
  Tensor target = labels(some_labels(512, 784));
  x.requires_grad(true);
  auto run = [&] {
    std::vector<std::vector<double>> out;
    for (Reduction reduction : test::kReductions) {
      Tensor loss = cross_entropy(x, target, reduction);
      backward(loss, reduction == Reduction::none ? ones({512}) : Tensor());
      out.push_back(loss.to_vector());
      out.push_back(x.grad().to_vector());
      x.zero_grad();
    }
    return out;
  };
  test::require_same_bits_across_threads(run);
}
