#include <algorithm>
#include <cmath>
#include <numeric>

#include "datasets/dataset.h"
#include "support.h"

using namespace tg;

namespace {

// Labels with unequal classes and an empty class id (3): 37 of class 0, 20 of 1, 6 of 2, 1 of 4,
// interleaved so that no class sits in one block of rows.
Tensor uneven_labels() {
  std::vector<std::int64_t> y;
  for (std::int64_t c : {0, 1, 2, 4})
    for (std::int64_t i = 0; i < (c == 0 ? 37 : c == 1 ? 20 : c == 2 ? 6 : 1); ++i) y.push_back(c);
  std::vector<std::int64_t> shuffled(y.size());
  for (std::size_t i = 0; i < y.size(); ++i) shuffled[(i * 17) % y.size()] = y[i];  // 17 is coprime to 64
  return labels(shuffled);
}

std::vector<std::int64_t> count_classes(const Tensor& labels, const std::vector<std::int64_t>& rows) {
  std::vector<std::int64_t> counts(5, 0);
  for (std::int64_t r : rows) ++counts[static_cast<std::size_t>(labels.data<std::int64_t>()[r])];
  return counts;
}

// train and test are sorted, disjoint and together exactly the rows 0..n-1.
void require_partition(const SplitIndices& split, std::int64_t n) {
  REQUIRE(std::is_sorted(split.train.begin(), split.train.end()));
  REQUIRE(std::is_sorted(split.test.begin(), split.test.end()));
  std::vector<std::int64_t> all = split.train;
  all.insert(all.end(), split.test.begin(), split.test.end());
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(static_cast<std::size_t>(n));
  std::iota(expected.begin(), expected.end(), std::int64_t{0});
  REQUIRE(all == expected);
}

}  // namespace

TEST_CASE("stratified_split keeps every class within one row of its share, and partitions the rows") {
  const Tensor y = uneven_labels();
  const std::vector<std::int64_t> totals = count_classes(y, [] {
    std::vector<std::int64_t> all(64);
    std::iota(all.begin(), all.end(), std::int64_t{0});
    return all;
  }());
  REQUIRE(totals == std::vector<std::int64_t>{37, 20, 6, 0, 1});
  for (double fraction : {0.1, 0.25, 0.3, 0.5, 0.9})
    for (std::uint64_t seed : {0, 1, 2}) {
      INFO("fraction " << fraction << " seed " << seed);
      const SplitIndices split = stratified_split_indices(y, fraction, seed);
      require_partition(split, 64);
      CHECK(static_cast<std::int64_t>(split.test.size()) == std::llround(fraction * 64));
      const std::vector<std::int64_t> test = count_classes(y, split.test);
      for (std::size_t c = 0; c < totals.size(); ++c)
        CHECK(std::abs(static_cast<double>(test[c]) - fraction * static_cast<double>(totals[c])) < 1.0);
    }
}

TEST_CASE("stratified_split is a function of (labels, fraction, seed), and the seed matters") {
  const Tensor y = uneven_labels();
  const SplitIndices a = stratified_split_indices(y, 0.25, 5), b = stratified_split_indices(y, 0.25, 5);
  CHECK(a.test == b.test);
  CHECK(a.train == b.train);
  CHECK(stratified_split_indices(y, 0.25, 6).test != a.test);
  // Not a fixed block of rows: 16 test rows out of 64, picked at random, are not rows 0..15.
  CHECK(a.test.back() >= 16);
}

TEST_CASE("stratified_split of a dataset gives the rows of its index split") {
  const Tensor y = uneven_labels();
  Dataset data{arange(0, 64, 1, DType::float32).reshape({64, 1}), y};
  const auto [train, test] = stratified_split(data, 0.3, 9);
  const SplitIndices split = stratified_split_indices(y, 0.3, 9);
  REQUIRE(test.size() == static_cast<std::int64_t>(split.test.size()));
  REQUIRE(train.size() == static_cast<std::int64_t>(split.train.size()));
  for (std::size_t i = 0; i < split.test.size(); ++i) {
    CHECK(test.features.at({static_cast<std::int64_t>(i), 0}) == static_cast<double>(split.test[i]));
    CHECK(test.labels.at({static_cast<std::int64_t>(i)}) == y.at({split.test[i]}));
  }
}

TEST_CASE("stratified_kfold: every row in exactly one test fold, classes spread within one row per fold") {
  const Tensor y = uneven_labels();
  const std::vector<std::int64_t> totals{37, 20, 6, 0, 1};
  for (std::int64_t k : {2, 3, 4, 5, 10, 64}) {
    INFO("k " << k);
    const std::vector<SplitIndices> folds = stratified_kfold(y, k, 3);
    REQUIRE(static_cast<std::int64_t>(folds.size()) == k);
    std::vector<int> times_tested(64, 0);
    std::size_t smallest = 64, largest = 0;
    for (const SplitIndices& fold : folds) {
      require_partition(fold, 64);
      for (std::int64_t r : fold.test) ++times_tested[static_cast<std::size_t>(r)];
      smallest = std::min(smallest, fold.test.size());
      largest = std::max(largest, fold.test.size());
      const std::vector<std::int64_t> counts = count_classes(y, fold.test);
      for (std::size_t c = 0; c < totals.size(); ++c) {
        CHECK(counts[c] >= totals[c] / k);
        CHECK(counts[c] <= (totals[c] + k - 1) / k);
      }
    }
    CHECK(std::all_of(times_tested.begin(), times_tested.end(), [](int t) { return t == 1; }));
    CHECK(largest - smallest <= 1);
  }
  CHECK(stratified_kfold(y, 4, 3)[2].test == stratified_kfold(y, 4, 3)[2].test);
  CHECK(stratified_kfold(y, 4, 3)[2].test != stratified_kfold(y, 4, 4)[2].test);
}

TEST_CASE("stratified splits reject bad labels, fractions and fold counts, naming them") {
  const Tensor y = labels({0, 1, 0, 1, 1});
  REQUIRE_THROWS_WITH(stratified_split_indices(tensor({0, 1}), 0.5, 0),
                      Catch::Contains("stratified_split: labels are [2] float32") && Catch::Contains("int64"));
  REQUIRE_THROWS_WITH(stratified_kfold(labels({0, -2, 1}), 2, 0),
                      Catch::Contains("stratified_kfold: label -2 at row 1") && Catch::Contains("negative"));
  for (double fraction : {0.0, 1.0, -0.5, std::nan("")})
    REQUIRE_THROWS_WITH(stratified_split_indices(y, fraction, 0),
                        Catch::Contains("stratified_split: test_fraction") && Catch::Contains("between 0 and 1"));
  REQUIRE_THROWS_WITH(stratified_split_indices(y, 0.05, 0),
                      Catch::Contains("0 test rows") && Catch::Contains("at least one"));
  REQUIRE_THROWS_WITH(stratified_split(Dataset{zeros({5, 2}), labels({0, 1})}, 0.5, 0),
                      Catch::Contains("stratified_split") && Catch::Contains("[5, 2]"));
  for (std::int64_t k : {1, 6})
    REQUIRE_THROWS_WITH(stratified_kfold(y, k, 0), Catch::Contains(cat("stratified_kfold: ", k, " folds of [5] int64")) &&
                                                       Catch::Contains("2 <= k <= N"));
}
