#include "datasets/dataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "tensor/random.h"

namespace tg {

void check_dataset(const Dataset& data, const char* op) {
  const Tensor& x = data.features;
  const Tensor& y = data.labels;
  check(x.defined() && y.defined(), op, ": features ", describe(x), ", labels ", describe(y), ": both must be defined");
  check(x.dim() == 2 && y.dim() == 1 && x.size(0) == y.size(0), op, ": features ", describe(x), ", labels ",
        describe(y), ": expected features [N, D] and labels [N] with the same N");
}

void gather_rows(const Tensor& source, std::span<const std::int64_t> rows, const Tensor& out) {
  const std::int64_t n = source.numel() ? source.size(0) : 0;
  const std::size_t row_bytes = n ? static_cast<std::size_t>(source.numel() / n) * dtype_size(source.dtype()) : 0;
  const auto* src = static_cast<const char*>(source.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::memcpy(dst + i * row_bytes, src + static_cast<std::size_t>(rows[i]) * row_bytes, row_bytes);
}

Dataset subset(const Dataset& data, std::span<const std::int64_t> indices) {
  check_dataset(data, "subset");
  const std::int64_t n = data.size();
  for (std::size_t i = 0; i < indices.size(); ++i)
    check(indices[i] >= 0 && indices[i] < n, "subset: index ", indices[i], " (position ", i,
          ") is out of range for a dataset of ", n, " examples");
  const auto count = static_cast<std::int64_t>(indices.size());
  Dataset out{empty({count, data.num_features()}, data.features.dtype()), empty({count}, data.labels.dtype())};
  gather_rows(data.features, indices, out.features);
  gather_rows(data.labels, indices, out.labels);
  return out;
}

std::pair<Dataset, Dataset> random_split(const Dataset& data, std::int64_t n_first, std::uint64_t seed) {
  check_dataset(data, "random_split");
  check(n_first >= 0 && n_first <= data.size(), "random_split: cannot take ", n_first, " of ", data.size(),
        " examples");
  Generator gen(seed);
  const std::vector<std::int64_t> order = randperm(data.size(), gen);
  const std::span<const std::int64_t> all(order);
  return {subset(data, all.first(static_cast<std::size_t>(n_first))),
          subset(data, all.subspan(static_cast<std::size_t>(n_first)))};
}

namespace {

// Each class's rows in the order randperm(N, Generator(seed)) visits them (Note [Stratified
// splits]); by_class[c] is class c's list. Checks that labels are int64 [N] with values ≥ 0.
std::vector<std::vector<std::int64_t>> rows_by_class(const Tensor& labels, std::uint64_t seed, const char* op) {
  check(labels.defined() && labels.dtype() == DType::int64 && labels.dim() == 1, op, ": labels are ",
        describe(labels), ": expected int64 class ids [N]");
  const std::int64_t* y = labels.data<std::int64_t>();
  std::int64_t classes = 0;
  for (std::int64_t i = 0; i < labels.numel(); ++i) {
    check(y[i] >= 0, op, ": label ", y[i], " at row ", i, " of ", describe(labels), " is negative");
    classes = std::max(classes, y[i] + 1);
  }
  std::vector<std::vector<std::int64_t>> by_class(static_cast<std::size_t>(classes));
  Generator gen(seed);
  for (std::int64_t row : randperm(labels.numel(), gen)) by_class[static_cast<std::size_t>(y[row])].push_back(row);
  return by_class;
}

// The rows of [0, n) that are not in `taken` (sorted), in increasing order.
std::vector<std::int64_t> complement(const std::vector<std::int64_t>& taken, std::int64_t n) {
  std::vector<std::int64_t> rest;
  rest.reserve(static_cast<std::size_t>(n) - taken.size());
  auto next = taken.begin();
  for (std::int64_t i = 0; i < n; ++i)
    if (next != taken.end() && *next == i)
      ++next;
    else
      rest.push_back(i);
  return rest;
}

}  // namespace

SplitIndices stratified_split_indices(const Tensor& labels, double test_fraction, std::uint64_t seed) {
  check(test_fraction > 0 && test_fraction < 1, "stratified_split: test_fraction ", test_fraction,
        " must lie strictly between 0 and 1");
  const auto by_class = rows_by_class(labels, seed, "stratified_split");
  const std::int64_t n = labels.numel();
  const auto n_test = static_cast<std::int64_t>(std::llround(test_fraction * static_cast<double>(n)));
  check(n_test >= 1 && n_test < n, "stratified_split: a test_fraction of ", test_fraction, " of ", n,
        " rows gives ", n_test, " test rows; both parts must have at least one");

  // ⌊f·n_c⌋ rows of each class, then one more from each of the classes with the largest remainders.
  std::vector<std::int64_t> take(by_class.size());
  std::vector<double> remainder(by_class.size());
  std::int64_t taken = 0;
  for (std::size_t c = 0; c < by_class.size(); ++c) {
    const double share = test_fraction * static_cast<double>(by_class[c].size());
    take[c] = static_cast<std::int64_t>(std::floor(share));
    remainder[c] = share - static_cast<double>(take[c]);
    taken += take[c];
  }
  std::vector<std::size_t> order(by_class.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; taken < n_test && k < order.size(); ++k, ++taken) ++take[order[k]];

  SplitIndices split;
  for (std::size_t c = 0; c < by_class.size(); ++c)
    split.test.insert(split.test.end(), by_class[c].begin(), by_class[c].begin() + take[c]);
  std::sort(split.test.begin(), split.test.end());
  split.train = complement(split.test, n);
  return split;
}

std::pair<Dataset, Dataset> stratified_split(const Dataset& data, double test_fraction, std::uint64_t seed) {
  check_dataset(data, "stratified_split");
  const SplitIndices split = stratified_split_indices(data.labels, test_fraction, seed);
  return {subset(data, split.train), subset(data, split.test)};
}

std::vector<SplitIndices> stratified_kfold(const Tensor& labels, std::int64_t k, std::uint64_t seed) {
  const auto by_class = rows_by_class(labels, seed, "stratified_kfold");
  const std::int64_t n = labels.numel();
  check(k >= 2 && k <= n, "stratified_kfold: ", k, " folds of ", describe(labels),
        ": need 2 <= k <= N, so that every fold tests on at least one row and trains on the rest");
  std::vector<SplitIndices> folds(static_cast<std::size_t>(k));
  std::int64_t j = 0;  // position in the classes' lists laid end to end
  for (const std::vector<std::int64_t>& rows : by_class)
    for (std::int64_t row : rows) folds[static_cast<std::size_t>(j++ % k)].test.push_back(row);
  for (SplitIndices& fold : folds) {
    std::sort(fold.test.begin(), fold.test.end());
    fold.train = complement(fold.test, n);
  }
  return folds;
}

}  // namespace tg
