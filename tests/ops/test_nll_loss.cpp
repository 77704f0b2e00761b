#include "autograd/tape.h"
#include "ops/loss.h"
#include "loss_reference.h"
#include "support.h"

using namespace tg;

namespace {
std::vector<double> reference(const Tensor& log_probs, const std::vector<std::int64_t>& label, Reduction reduction) {
  const std::int64_t classes = log_probs.size(1);
  const std::vector<double> v = log_probs.to_vector();
  std::vector<double> losses;
  for (std::size_t r = 0; r < label.size(); ++r) losses.push_back(-v[r * classes + label[r]]);
  return test::reduce_reference(losses, reduction);
}

std::vector<std::int64_t> some_labels(std::int64_t batch, std::int64_t classes) {
  return test::cycling_labels(batch, classes, 5, 1);
}
}  // namespace

TEST_CASE("nll_loss matches the double reference for batch sizes around the SIMD width") {
  for (DType dtype : {DType::float32, DType::float64}) {
    for (std::int64_t batch : test::kSimdSizes) {
      Tensor x = test::random_tensor({batch, 6}, dtype, 61);
      const auto label = some_labels(batch, 6);
      for (Reduction reduction : test::kReductions) {
        if (batch == 0 && reduction == Reduction::mean) continue;  // 0/0
        INFO(dtype_name(dtype) << " batch=" << batch << " reduction=" << test::reduction_name(reduction));
        Tensor loss = nll_loss(x, labels(label), reduction);
        CHECK(loss.shape() == (reduction == Reduction::none ? Shape{batch} : Shape{}));
        CHECK(test::max_rel_diff(loss, reference(x, label, reduction)) <= (dtype == DType::float32 ? 1e-6 : 1e-15));
      }
    }
  }
}

TEST_CASE("nll_loss gradient is minus the reduction scale at each label") {
  Tensor x = zeros({2, 3}, DType::float64);
  x.requires_grad(true);
  backward(nll_loss(x, labels({2, 0}), Reduction::mean));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, -0.5, -0.5, 0, 0});
  x.zero_grad();
  backward(nll_loss(x, labels({1, 1}), Reduction::none), tensor({3.0, 4.0}, DType::float64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, -3, 0, 0, -4, 0});
}

TEST_CASE("nll_loss gradient matches finite differences for every reduction") {
  for (Reduction reduction : test::kReductions) {
    INFO("reduction=" << test::reduction_name(reduction));
    Tensor x = test::random_tensor({5, 4}, DType::float64, 62);
    x.requires_grad(true);
    Tensor target = labels(some_labels(5, 4));
    test::require_gradcheck([&](const std::vector<Tensor>& in) { return nll_loss(in[0], target, reduction); }, {x});
  }
}

TEST_CASE("nll_loss rejects bad shapes and labels naming the op and the shapes") {
  Tensor x = zeros({3, 4});
  REQUIRE_THROWS_WITH(nll_loss(x, labels({0, 1})),
                      Catch::Contains("nll_loss") && Catch::Contains("[3, 4]") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(nll_loss(zeros({2, 3, 4}), labels({0, 1})),
                      Catch::Contains("nll_loss") && Catch::Contains("[2, 3, 4]"));
  REQUIRE_THROWS_WITH(nll_loss(x, labels({0, 4, 1})),
                      Catch::Contains("nll_loss") && Catch::Contains("label 4") && Catch::Contains("row 1"));
  REQUIRE_THROWS_WITH(nll_loss(x, zeros({3})), Catch::Contains("nll_loss") && Catch::Contains("int64"));
}
