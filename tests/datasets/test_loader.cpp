#include <algorithm>
#include <limits>
#include <numeric>
#include <ranges>
#include <set>

#include "tensor/storage.h"
#include "datasets/loader.h"
#include "support.h"

using namespace tg;

namespace {

// Row i is [i, 1000 + i, -i] with label i % 7, so every value says which row it came from.
Dataset numbered(std::int64_t n) {
  Dataset d{empty({n, 3}, DType::float32), empty({n}, DType::int64)};
  for (std::int64_t i = 0; i < n; ++i) {
    d.features.set({i, 0}, static_cast<double>(i));
    d.features.set({i, 1}, 1000.0 + static_cast<double>(i));
    d.features.set({i, 2}, -static_cast<double>(i));
    d.labels.set({i}, static_cast<double>(i % 7));
  }
  return d;
}

void require_rows(const Tensor& x, const Tensor& y, std::span<const std::int64_t> rows) {
  REQUIRE(x.shape() == Shape{static_cast<std::int64_t>(rows.size()), 3});
  REQUIRE(y.shape() == Shape{static_cast<std::int64_t>(rows.size())});
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto i = static_cast<std::int64_t>(k);
    const auto r = static_cast<double>(rows[k]);
    REQUIRE(x.at({i, 0}) == r);
    REQUIRE(x.at({i, 1}) == 1000 + r);
    REQUIRE(x.at({i, 2}) == -r);
    REQUIRE(y.at({i}) == static_cast<double>(rows[k] % 7));
  }
}

bool is_permutation_of_range(std::vector<std::int64_t> order) {
  std::sort(order.begin(), order.end());
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<std::int64_t>(i)) return false;
  return true;
}

}  // namespace

TEST_CASE("every epoch is a permutation; epochs differ; (seed, epoch) reproduces the order") {
  DataLoader a(numbered(1000), {.batch_size = 32, .seed = 5});
  std::set<std::vector<std::int64_t>> seen;
  std::vector<std::vector<std::int64_t>> orders;
  for (std::int64_t e = 0; e < 4; ++e) {
    a.start_epoch(e);
    REQUIRE(is_permutation_of_range(a.order()));
    seen.insert(a.order());
    orders.push_back(a.order());
  }
  CHECK(seen.size() == 4);

  // A fresh loader resumed at epoch 3 sees what the first saw at epoch 3, whatever came before.
  DataLoader resumed(numbered(1000), {.batch_size = 32, .seed = 5});
  resumed.start_epoch(3);
  CHECK(resumed.order() == orders[3]);
  resumed.start_epoch(1);
  CHECK(resumed.order() == orders[1]);

  DataLoader other_seed(numbered(1000), {.batch_size = 32, .seed = 6});
  CHECK(other_seed.order() != orders[0]);
}

TEST_CASE("batch counts and sizes with and without drop_last") {
  Dataset d = numbered(10);
  DataLoader keep(d, {.batch_size = 4});
  DataLoader drop(d, {.batch_size = 4, .drop_last = true});
  CHECK(keep.num_batches() == 3);
  CHECK(drop.num_batches() == 2);
  std::vector<std::int64_t> keep_sizes, drop_sizes;
  for (const Batch& b : keep.batches(0)) keep_sizes.push_back(b.x.size(0));
  for (const Batch& b : drop.batches(0)) drop_sizes.push_back(b.x.size(0));
  CHECK(keep_sizes == std::vector<std::int64_t>{4, 4, 2});
  CHECK(drop_sizes == std::vector<std::int64_t>{4, 4});

  DataLoader exact(d, {.batch_size = 5, .drop_last = true});
  CHECK(exact.num_batches() == 2);
  DataLoader too_big(d, {.batch_size = 64, .drop_last = true});
  CHECK(too_big.num_batches() == 0);
  Batch b;
  CHECK_FALSE(too_big.next(b));
  DataLoader one(d, {.batch_size = 64});
  REQUIRE(one.next(b));
  CHECK(b.x.size(0) == 10);
}

TEST_CASE("a batch size near the int64 limit is one batch of everything, not an overflow") {
  Dataset d = numbered(10);
  for (std::int64_t size : {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::max() - 3}) {
    INFO(size);
    DataLoader keep(d, {.batch_size = size});
    CHECK(keep.num_batches() == 1);
    std::vector<std::int64_t> sizes;
    for (const Batch& b : keep.batches(0)) sizes.push_back(b.x.size(0));
    CHECK(sizes == std::vector<std::int64_t>{10});
    CHECK(DataLoader(d, {.batch_size = size, .drop_last = true}).num_batches() == 0);
  }
}

TEST_CASE("batches hold exactly the rows of the epoch's order, in order") {
  DataLoader loader(numbered(103), {.batch_size = 16, .seed = 9});
  for (std::int64_t e : {0, 1}) {
    std::vector<std::int64_t> visited;
    for (const Batch& b : loader.batches(e)) {
      require_rows(b.x, b.y, loader.last_indices());
      visited.insert(visited.end(), loader.last_indices().begin(), loader.last_indices().end());
    }
    CHECK(visited == loader.order());
    CHECK(loader.batch_index() == 7);
  }
  // The caller-owned form gives the same batches.
  loader.start_epoch(1);
  Tensor x, y;
  std::int64_t count = 0;
  while (loader.next(x, y)) {
    require_rows(x, y, loader.last_indices());
    ++count;
  }
  CHECK(count == 7);
}

TEST_CASE("shuffle = false visits the rows in order") {
  DataLoader loader(numbered(9), {.batch_size = 4, .shuffle = false});
  loader.start_epoch(3);
  std::vector<std::int64_t> expected(9);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(loader.order() == expected);
}

TEST_CASE("full batches reuse their buffers: no tensor allocation per step") {
  DataLoader loader(numbered(256), {.batch_size = 32, .drop_last = true, .seed = 1});
  Tensor x, y;
  REQUIRE(loader.next(x, y));  // the first call allocates x and y
  const void* x_data = x.raw_data();
  Batch b;
  REQUIRE(loader.next(b));
  const void* b_data = b.x.raw_data();
  const std::uint64_t before = allocation_count();
  for (std::int64_t e = 0; e < 3; ++e) {
    loader.start_epoch(e);
    while (loader.next(x, y)) {
      REQUIRE(x.raw_data() == x_data);
      require_rows(x, y, loader.last_indices());
      if (loader.next(b)) {
        REQUIRE(b.x.raw_data() == b_data);
        require_rows(b.x, b.y, loader.last_indices());
      }
    }
  }
  CHECK(allocation_count() == before);
}

static_assert(std::ranges::input_range<DataLoader>);

TEST_CASE("range-for: each loop is one epoch, consecutive loops are consecutive epochs") {
  DataLoader loader(numbered(103), {.batch_size = 16, .seed = 9});
  DataLoader reference(numbered(103), {.batch_size = 16, .seed = 9});
  for (std::int64_t e = 0; e < 3; ++e) {
    std::vector<std::int64_t> visited;
    std::int64_t count = 0;
    for (auto [x, y] : loader) {
      CHECK(loader.epoch() == e);
      require_rows(x, y, loader.last_indices());
      visited.insert(visited.end(), loader.last_indices().begin(), loader.last_indices().end());
      ++count;
    }
    CHECK(count == 7);
    reference.start_epoch(e);
    CHECK(visited == reference.order());  // the order batches(e) and start_epoch(e) give
  }
}

TEST_CASE("range-for: start_epoch chooses the next loop's epoch; a loop left early still counts") {
  DataLoader loader(numbered(50), {.batch_size = 8, .seed = 3});
  DataLoader reference(numbered(50), {.batch_size = 8, .seed = 3});
  // The rows of each batch a loop over `loader` sees, and the epoch it ran, stopping after `limit`.
  auto run = [&](std::int64_t limit) {
    std::vector<std::int64_t> rows;
    std::int64_t batches = 0;
    for (auto [x, y] : loader) {
      require_rows(x, y, loader.last_indices());
      rows.insert(rows.end(), loader.last_indices().begin(), loader.last_indices().end());
      if (++batches == limit) break;
    }
    return rows;
  };
  auto epoch_prefix = [&](std::int64_t epoch, std::size_t n) {
    reference.start_epoch(epoch);
    return std::vector<std::int64_t>(reference.order().begin(), reference.order().begin() + static_cast<std::ptrdiff_t>(n));
  };

  loader.start_epoch(5);
  CHECK(run(1) == epoch_prefix(5, 8));   // the epoch start_epoch chose, from its first batch
  CHECK(loader.epoch() == 5);
  CHECK(run(100) == epoch_prefix(6, 50));  // left early, epoch 5 is over: the next loop runs all of 6
  CHECK(loader.epoch() == 6);
  CHECK(run(100) == epoch_prefix(7, 50));

  // A batch taken with next() also starts the epoch, so the loop after it runs the next one.
  loader.start_epoch(2);
  Batch b;
  REQUIRE(loader.next(b));
  CHECK(run(100) == epoch_prefix(3, 50));
}

TEST_CASE("range-for without shuffle visits 0..N-1 every epoch, in the loader's own buffers") {
  DataLoader loader(numbered(64), {.batch_size = 16, .shuffle = false, .drop_last = true});
  std::vector<std::int64_t> expected(64);
  std::iota(expected.begin(), expected.end(), 0);
  const void* buffer = nullptr;
  for (int loop = 0; loop < 2; ++loop) {  // the first loop fills the buffers; the second must not allocate
    const std::uint64_t before = allocation_count();
    std::vector<std::int64_t> visited;
    for (auto [x, y] : loader) {
      if (buffer == nullptr) buffer = x.raw_data();
      REQUIRE(x.raw_data() == buffer);
      require_rows(x, y, loader.last_indices());
      visited.insert(visited.end(), loader.last_indices().begin(), loader.last_indices().end());
    }
    CHECK(visited == expected);
    if (loop == 1) CHECK(allocation_count() == before);
  }
}

TEST_CASE("DataLoader rejects a bad batch size and a malformed dataset") {
  REQUIRE_THROWS_WITH(DataLoader(numbered(4), {.batch_size = 0}),
                      Catch::Contains("DataLoader") && Catch::Contains("batch_size is 0"));
  Dataset bad{empty({4, 3}), empty({5}, DType::int64)};
  REQUIRE_THROWS_WITH(DataLoader(bad, {}),
                      Catch::Contains("DataLoader") && Catch::Contains("[4, 3]") && Catch::Contains("[5]"));
}

TEST_CASE("subset copies the indexed rows; random_split is a deterministic partition") {
  Dataset d = numbered(50);
  const std::vector<std::int64_t> picks{7, 3, 3, 49};
  Dataset s = subset(d, picks);
  require_rows(s.features, s.labels, picks);
  REQUIRE_THROWS_WITH(subset(d, std::vector<std::int64_t>{1, 50}),
                      Catch::Contains("subset") && Catch::Contains("index 50") && Catch::Contains("50 examples"));

  auto [first, second] = random_split(d, 30, 11);
  REQUIRE(first.size() == 30);
  REQUIRE(second.size() == 20);
  std::vector<std::int64_t> all;
  for (const Dataset* part : {&first, &second})
    for (std::int64_t i = 0; i < part->size(); ++i) all.push_back(static_cast<std::int64_t>(part->features.at({i, 0})));
  CHECK(is_permutation_of_range(all));
  std::vector<std::int64_t> first_rows(all.begin(), all.begin() + 30);
  require_rows(first.features, first.labels, first_rows);

  auto [again, rest] = random_split(d, 30, 11);
  CHECK(again.features.to_vector() == first.features.to_vector());
  auto [reseeded, unused] = random_split(d, 30, 12);
  CHECK(reseeded.features.to_vector() != first.features.to_vector());
  REQUIRE_THROWS_WITH(random_split(d, 51, 0), Catch::Contains("random_split") && Catch::Contains("51 of 50"));
}
