#include "train/metrics.h"
#include "support.h"

using namespace tg;

namespace {

// AUC as the probability that a random positive outscores a random negative, ties counting one
// half — the definition, by brute force over all pairs, independent of the rank formula.
double pairwise_auc(const std::vector<double>& score, const std::vector<std::int64_t>& y, std::int64_t positive) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < score.size(); ++i)
    for (std::size_t j = 0; j < score.size(); ++j)
      if (y[i] == positive && y[j] != positive) {
        wins += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
        ++pairs;
      }
  return wins / pairs;
}

}  // namespace

TEST_CASE("accuracy from scores (first argmax on ties) and from predicted ids") {
  const Tensor scores = tensor({0.1, 0.7, 0.2,    // 1
                                0.5, 0.5, 0.0,    // tie: 0
                                0.0, 0.1, 0.9,    // 2
                                0.3, 0.3, 0.3},   // tie: 0
                               {4, 3});
  CHECK(accuracy(scores, labels({1, 1, 2, 0})) == 0.75);
  CHECK(accuracy(scores.to(DType::float64), labels({1, 0, 2, 0})) == 1.0);
  CHECK(accuracy(labels({2, 0, 1}), labels({2, 1, 1})) == Approx(2.0 / 3.0).epsilon(1e-15));
}

TEST_CASE("confusion_matrix puts true classes down the rows; its diagonal is the accuracy") {
  const Tensor predicted = labels({0, 2, 1, 1, 0, 2, 2});
  const Tensor truth = labels({0, 1, 1, 2, 0, 2, 1});
  Tensor m = confusion_matrix(predicted, truth);
  REQUIRE(m.dtype() == DType::int64);
  REQUIRE(m.shape() == Shape{3, 3});
  CHECK(m.to_vector() == std::vector<double>{2, 0, 0,   // class 0: both right
                                             0, 1, 2,   // class 1: once right, twice taken for 2
                                             0, 1, 1}); // class 2
  CHECK(confusion_matrix(predicted, truth, 5).shape() == Shape{5, 5});
  const Tensor scores = test::random_tensor({20, 4}, DType::float32, 3);
  const Tensor y = labels({0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 3, 3, 2, 1});
  Tensor from_scores = confusion_matrix(scores, y);
  REQUIRE(from_scores.shape() == Shape{4, 4});  // C from the scores
  double diagonal = 0, total = 0;
  for (std::int64_t i = 0; i < 4; ++i)
    for (std::int64_t j = 0; j < 4; ++j) (i == j ? diagonal : total) += from_scores.at({i, j});
  total += diagonal;
  CHECK(total == 20);
  CHECK(diagonal / total == accuracy(scores, y));
}

TEST_CASE("roc_auc matches hand-computed values, ties scored as one half") {
  // scikit-learn's documentation example: 3 of the 4 (positive, negative) pairs are ordered.
  CHECK(roc_auc(tensor({0.1, 0.4, 0.35, 0.8}), labels({0, 0, 1, 1})) == 0.75);
  // Pairs (2 | 1), (2 | 2) tied, (3 | 1), (3 | 2): (1 + 0.5 + 1 + 1) / 4.
  CHECK(roc_auc(tensor({1, 2, 2, 3}), labels({0, 0, 1, 1})) == 0.875);
  CHECK(roc_auc(tensor({0.5, 0.5, 0.5, 0.5}), labels({0, 1, 0, 1})) == 0.5);  // all tied
  CHECK(roc_auc(tensor({0, 1, 2, 3}), labels({0, 0, 1, 1})) == 1.0);
  CHECK(roc_auc(tensor({3, 2, 1, 0}), labels({0, 0, 1, 1})) == 0.0);
}

TEST_CASE("roc_auc matches scikit-learn's roc_auc_score, binary and one-vs-rest macro, with ties") {
  // Reference values: sklearn.metrics.roc_auc_score of scikit-learn 1.2.1 (Debian python3-sklearn):
  //   roc_auc_score(y, s)                                        -> 0.6666666666666667
  //   roc_auc_score(y3, P, multi_class="ovr", average="macro")  -> 0.8541666666666666
  //   per class: 1.0, 0.6666666666666666, 0.8958333333333334
  const Tensor s = tensor({0.9, 0.1, 0.5, 0.5, 0.5, 0.2, 0.7, 0.7, 0.3, 0.3, 0.8, 0.6}, DType::float64);
  const Tensor y = labels({1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1});
  CHECK(roc_auc(s, y) == Approx(0.6666666666666667).epsilon(1e-15));

  const Tensor p = tensor({0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4, 0.3, 0.4, 0.3,
                           0.5, 0.2, 0.3, 0.2, 0.2, 0.6, 0.2, 0.4, 0.4, 0.4, 0.4, 0.2, 0.1, 0.2, 0.7},
                          {10, 3}, DType::float64);
  const Tensor y3 = labels({0, 1, 2, 2, 1, 0, 1, 2, 0, 2});
  CHECK(roc_auc(p, y3) == Approx(0.8541666666666666).epsilon(1e-15));
  CHECK(roc_auc(p, y3) == Approx((1.0 + 0.6666666666666666 + 0.8958333333333334) / 3).epsilon(1e-15));
}

TEST_CASE("roc_auc equals the pairwise definition on random scores with many ties") {
  Generator gen(5);
  const std::int64_t n = 200;
  // Scores rounded to a coarse grid, so that most values are tied with others.
  Tensor raw = rand({n, 4}, gen, DType::float64);
  std::vector<double> grid = raw.to_vector();
  for (double& v : grid) v = std::round(v * 8) / 8;
  const Tensor scores = tensor(grid, {n, 4}, DType::float64);
  std::vector<std::int64_t> y(n);
  for (std::int64_t i = 0; i < n; ++i) y[i] = (i * 7 + i / 3) % 4;
  double macro = 0;
  for (std::int64_t c = 0; c < 4; ++c) {
    std::vector<double> column;
    for (std::int64_t i = 0; i < n; ++i) column.push_back(grid[i * 4 + c]);
    macro += pairwise_auc(column, y, c) / 4;
  }
  CHECK(roc_auc(scores, labels(y)) == Approx(macro).epsilon(1e-12));

  // Binary: [N] scores, and [N, 2] scores ranked on column 1, agree with the definition.
  std::vector<std::int64_t> yb(n);
  std::vector<double> column1, two;
  for (std::int64_t i = 0; i < n; ++i) {
    yb[i] = y[i] % 2;
    column1.push_back(grid[i * 4 + 1]);
    two.push_back(grid[i * 4]);
    two.push_back(grid[i * 4 + 1]);
  }
  const double expected = pairwise_auc(column1, yb, 1);
  CHECK(roc_auc(tensor(column1, {n}, DType::float64), labels(yb)) == Approx(expected).epsilon(1e-12));
  CHECK(roc_auc(tensor(two, {n, 2}, DType::float64), labels(yb)) == Approx(expected).epsilon(1e-12));
}

TEST_CASE("metrics reject bad shapes, a single class, NaN scores and labels out of range") {
  const Tensor y = labels({0, 1, 1});
  REQUIRE_THROWS_WITH(accuracy(zeros({3, 2}), labels({0, 1})),
                      Catch::Contains("accuracy") && Catch::Contains("[3, 2] float32") && Catch::Contains("[2] int64"));
  REQUIRE_THROWS_WITH(accuracy(zeros({3, 2}), tensor({0, 1, 1})), Catch::Contains("accuracy") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(accuracy(zeros({3}), y), Catch::Contains("accuracy") && Catch::Contains("[3] float32") &&
                                                   Catch::Contains("scores [N, C]"));
  REQUIRE_THROWS_WITH(accuracy(labels({}), labels({})), Catch::Contains("accuracy") && Catch::Contains("no examples"));
  REQUIRE_THROWS_WITH(confusion_matrix(labels({0, 3, 1}), y, 3),
                      Catch::Contains("confusion_matrix: row 1 has label 1 and prediction 3") &&
                          Catch::Contains("3 classes"));
  REQUIRE_THROWS_WITH(confusion_matrix(labels({0, 1, 1}), y, -1), Catch::Contains("num_classes is -1"));
  REQUIRE_THROWS_WITH(roc_auc(tensor({0.1, 0.2, 0.3}), labels({1, 1, 1})),
                      Catch::Contains("roc_auc: every row of labels [3] int64 is class 1") && Catch::Contains("undefined"));
  REQUIRE_THROWS_WITH(roc_auc(tensor({0.1, 0.2, 0.3}), labels({0, 0, 0})), Catch::Contains("no row"));
  REQUIRE_THROWS_WITH(roc_auc(zeros({3, 3}), labels({0, 1, 0})), Catch::Contains("no row") && Catch::Contains("class 2"));
  REQUIRE_THROWS_WITH(roc_auc(tensor({0.1, 0.2, 0.3}), labels({0, 2, 1})),
                      Catch::Contains("roc_auc: label 2 at row 1") && Catch::Contains("2 classes"));
  REQUIRE_THROWS_WITH(roc_auc(tensor({0.1, std::nan(""), 0.3}), y), Catch::Contains("roc_auc: score NaN at row 1"));
  REQUIRE_THROWS_WITH(roc_auc(zeros({3, 1}), y), Catch::Contains("roc_auc: scores [3, 1]"));
  REQUIRE_THROWS_WITH(roc_auc(labels({0, 1, 1}), y), Catch::Contains("roc_auc: scores [3] int64"));
}
