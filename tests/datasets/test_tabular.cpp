#include "datasets/tabular.h"

#include <cmath>

#include "files.h"
#include "support.h"

using namespace tg;
using test::TempDir;

namespace {

using Strings = std::vector<std::string>;
using Rows = std::vector<std::int64_t>;

// Six rows: a number with missing cells, a three-valued nominal, a two-valued nominal, and a class.
ArffData table() {
  TempDir dir;
  test::write_text(dir / "t.arff",
                   "@relation t\n@attribute x numeric\n@attribute colour {red, green, blue}\n"
                   "@attribute flag {no, yes}\n@attribute class {p, q}\n@data\n"
                   "1, green, yes, p\n"   // 0
                   "?, blue, no, q\n"     // 1
                   "10, ?, ?, p\n"        // 2
                   "3, blue, yes, q\n"    // 3
                   "100, red, yes, p\n"   // 4: held out, so its 100 moves no median
                   "?, ?, ?, q\n");       // 5: held out
  return read_arff(dir / "t.arff");
}

// Standardises column j of the raw encoded training matrix by hand: population mean and std.
std::vector<double> standardised(const std::vector<double>& train_column, const std::vector<double>& values) {
  double mean = 0, var = 0;
  for (double v : train_column) mean += v;
  mean /= static_cast<double>(train_column.size());
  for (double v : train_column) var += (v - mean) * (v - mean);
  const double scale = var == 0 ? 1.0 : std::sqrt(var / static_cast<double>(train_column.size()));
  std::vector<double> out;
  for (double v : values) out.push_back((v - mean) / scale);
  return out;
}

std::vector<double> column(const Tensor& x, std::int64_t j) {
  std::vector<double> out;
  for (std::int64_t i = 0; i < x.size(0); ++i) out.push_back(x.at({i, j}));
  return out;
}

void require_close(const std::vector<double>& a, const std::vector<double>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).margin(1e-6));
}

}  // namespace

TEST_CASE("TabularEncoder: medians and modes of the training rows fill the gaps; one-hot; binary as 0/1") {
  const ArffData t = table();
  const Rows train = {0, 1, 2, 3};
  const TabularEncoder enc(t, {0, 1, 2}, train);
  CHECK(enc.feature_names() == Strings{"x", "colour=red", "colour=green", "colour=blue", "flag=yes"});
  REQUIRE(enc.num_features() == 5);
  // x: training values 1, 10, 3 (row 1 missing) → median 3. colour: blue twice → mode blue (2).
  // flag: yes twice, no once → mode yes (1).
  CHECK(enc.fill_values() == std::vector<double>{3, 2, 1});

  const Tensor x = enc.transform(t, train);
  REQUIRE(x.dtype() == DType::float32);
  REQUIRE(x.shape() == Shape{4, 5});
  // The raw encoded training matrix, row by row: x, red, green, blue, flag.
  const std::vector<std::vector<double>> raw = {{1, 0, 1, 0, 1}, {3, 0, 0, 1, 0}, {10, 0, 0, 1, 1}, {3, 0, 0, 1, 1}};
  for (std::int64_t j = 0; j < 5; ++j) {
    std::vector<double> train_column;
    for (const auto& r : raw) train_column.push_back(r[static_cast<std::size_t>(j)]);
    require_close(column(x, j), standardised(train_column, train_column));
  }
  // The held-out rows use the training statistics: row 4 is (100, red, yes), row 5 all missing.
  const Tensor held_out = enc.transform(t, Rows{4, 5});
  require_close(column(held_out, 0), standardised({1, 3, 10, 3}, {100, 3}));
  require_close(column(held_out, 1), standardised({0, 0, 0, 0}, {1, 0}));  // constant in training: scale 1
  require_close(column(held_out, 3), standardised({0, 1, 1, 1}, {0, 1}));
  require_close(column(held_out, 4), standardised({1, 0, 1, 1}, {1, 1}));
}

TEST_CASE("TabularEncoder: what it learns depends on the training rows only") {
  const ArffData t = table();
  const TabularEncoder a(t, {0, 1, 2}, Rows{0, 3}), b(t, {0, 1, 2}, Rows{3, 0});
  CHECK(a.fill_values() == b.fill_values());
  CHECK(a.fill_values()[0] == 2);  // median of 1 and 3
  CHECK(a.fill_values()[1] == 1);  // green and blue tie: the first declared of them, green
  CHECK(a.scaler().mean() == b.scaler().mean());
  // Nothing observed at all: 0, or the first declared value.
  const TabularEncoder none(t, {0, 1}, Rows{5});
  CHECK(none.fill_values() == std::vector<double>{0, 0});
}

TEST_CASE("TabularEncoder: bad inputs are errors naming the problem") {
  const ArffData t = table();
  CHECK_THROWS_WITH(TabularEncoder(t, {0}, Rows{}), Catch::Contains("TabularEncoder: no training rows"));
  CHECK_THROWS_WITH(TabularEncoder(t, {0}, Rows{0, 6}),
                    Catch::Contains("TabularEncoder: row index 6 is outside the table's 6 rows"));
  CHECK_THROWS_WITH(TabularEncoder(t, {0, 4}, Rows{0}),
                    Catch::Contains("input attribute 4 is outside the table's 4 attributes"));
  CHECK_THROWS_WITH(TabularEncoder(t, {1, 1}, Rows{0}), Catch::Contains("input attribute 1 ('colour') is listed twice"));
  const TabularEncoder enc(t, {0, 1}, Rows{0, 1});
  CHECK_THROWS_WITH(enc.transform(t, Rows{-1}), Catch::Contains("TabularEncoder::transform: row index -1"));
  ArffData other = t;
  other.attributes[1].values.push_back("violet");
  CHECK_THROWS_WITH(enc.transform(other, Rows{0}),
                    Catch::Contains("TabularEncoder::transform: attribute 1 is 'colour' here but was 'colour'"));
  ArffData narrow = t;
  narrow.attributes.resize(1);
  CHECK_THROWS_WITH(enc.transform(narrow, Rows{0}), Catch::Contains("the table has 1 attributes"));
}
