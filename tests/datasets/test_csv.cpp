#include "datasets/csv.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "files.h"
#include "support.h"

using namespace tg;
using test::error_of;
using test::TempDir;

namespace {

CsvOptions label(const std::string& name, LabelKind kind = LabelKind::classification) {
  CsvOptions o;
  o.label_column = name;
  o.label_kind = kind;
  return o;
}

std::vector<double> row(const Tensor& x, std::int64_t i) {
  std::vector<double> v;
  for (std::int64_t j = 0; j < x.size(1); ++j) v.push_back(x.at({i, j}));
  return v;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("read_csv: numeric columns, one-hot categories in sorted order, class ids in sorted order") {
  TempDir dir;
  test::write_text(dir / "a.csv",
                   "age,color,size,class\n"
                   "30,red,1.5,10\n"
                   "40,blue,-2,9\n"
                   "50,green,+3e1,10\n"
                   "60,blue,4,2\n");
  CsvData d = read_csv(dir / "a.csv", label("class"));
  CHECK(d.feature_names == Names{"age", "color=blue", "color=green", "color=red", "size"});
  CHECK(d.class_names == Names{"2", "9", "10"});  // numeric order, not "10" < "2"
  REQUIRE(d.features.dtype() == DType::float32);
  REQUIRE(d.features.shape() == Shape{4, 5});
  CHECK(row(d.features, 0) == std::vector<double>{30, 0, 0, 1, 1.5});
  CHECK(row(d.features, 1) == std::vector<double>{40, 1, 0, 0, -2});
  CHECK(row(d.features, 2) == std::vector<double>{50, 0, 1, 0, 30});
  CHECK(row(d.features, 3) == std::vector<double>{60, 1, 0, 0, 4});
  REQUIRE(d.labels.dtype() == DType::int64);
  CHECK(d.labels.to_vector() == std::vector<double>{2, 1, 2, 0});
  Dataset ds = d.dataset();
  CHECK(ds.size() == 4);
  CHECK(ds.num_features() == 5);
}

TEST_CASE("read_csv: string class labels sort by bytes; a regression target stays a float") {
  TempDir dir;
  test::write_text(dir / "b.csv", "x,kind,price\n1,dog,2.5\n2,cat,-1\n3,ant,0.25\n4,dog,7\n");
  CsvData c = read_csv(dir / "b.csv", label("kind"));
  CHECK(c.class_names == Names{"ant", "cat", "dog"});
  CHECK(c.labels.to_vector() == std::vector<double>{2, 1, 0, 2});
  CHECK(c.feature_names == Names{"x", "price"});

  CsvData r = read_csv(dir / "b.csv", label("price", LabelKind::regression));
  REQUIRE(r.labels.dtype() == DType::float32);
  CHECK(r.labels.to_vector() == std::vector<double>{2.5, -1, 0.25, 7});
  CHECK(r.class_names.empty());
  CHECK(r.feature_names == Names{"x", "kind=ant", "kind=cat", "kind=dog"});
}

TEST_CASE("read_csv: quotes, blanks, CRLF, a byte-order mark, blank lines, other delimiters, gzip") {
  TempDir dir;
  test::write_text(dir / "q.csv",
                   "\xEF\xBB\xBF"
                   "name , \"v\" ,y\r\n"
                   "\"Smith, J\", 1 ,a\r\n"
                   "\r\n"
                   "  \"say \"\"hi\"\"\"  ,2,b\r\n");
  CsvData d = read_csv(dir / "q.csv", label("y"));
  CHECK(d.feature_names == Names{"name=Smith, J", "name=say \"hi\"", "v"});
  CHECK(row(d.features, 0) == std::vector<double>{1, 0, 1});
  CHECK(row(d.features, 1) == std::vector<double>{0, 1, 2});

  test::write_text(dir / "t.tsv", "a\tb\n1\tx\n2\ty\n");
  CsvOptions tab = label("b");
  tab.delimiter = '\t';
  CHECK(read_csv(dir / "t.tsv", tab).features.to_vector() == std::vector<double>{1, 2});

  const std::string text = "a,b\n1,x\n2,y\n";
  test::write_gz(dir / "g.csv.gz", test::Bytes(text.begin(), text.end()));
  CHECK(read_csv(dir / "g.csv.gz", label("b")).labels.to_vector() == std::vector<double>{0, 1});
}

TEST_CASE("read_csv: categorical_columns forces one-hot on numbers, ignore_columns drops a column") {
  TempDir dir;
  test::write_text(dir / "c.csv", "id,code,y\n101,3,a\n102,10,b\n103,3,a\n");
  CsvOptions o = label("y");
  o.categorical_columns = {"code"};
  o.ignore_columns = {"id"};
  CsvData d = read_csv(dir / "c.csv", o);
  CHECK(d.feature_names == Names{"code=3", "code=10"});
  CHECK(d.features.to_vector() == std::vector<double>{1, 0, 0, 1, 1, 0});
}

TEST_CASE("read_csv: a column that is mostly words is categorical, even with a number in it") {
  TempDir dir;
  test::write_text(dir / "m.csv", "w,y\nlow,0\nhigh,1\n7,0\n");
  CHECK(read_csv(dir / "m.csv", label("y")).feature_names == Names{"w=7", "w=high", "w=low"});
}

TEST_CASE("read_csv missing values: error by default, naming line and column") {
  TempDir dir;
  test::write_text(dir / "m.csv", "a,b,y\n1,x,0\n2,NA,1\n,y,0\n");
  CHECK_THAT(test::error_of([&] { read_csv(dir / "m.csv", label("y")); }),
             Catch::Contains("read_csv") && Catch::Contains(dir / "m.csv" + ":3:2") && Catch::Contains("column 'b'") &&
                 Catch::Contains("missing value 'NA'") && Catch::Contains("policy is error"));
}

TEST_CASE("read_csv missing values: fill uses the numeric mean and a <missing> category") {
  TempDir dir;
  test::write_text(dir / "m.csv", "a,b,y\n1,x,0\n?,NA,1\n5,y,0\nNA,,1\n");
  CsvOptions o = label("y");
  o.missing = MissingValues::fill;
  CsvData d = read_csv(dir / "m.csv", o);
  CHECK(d.feature_names == Names{"a", "b=x", "b=y", "b=<missing>"});
  CHECK(row(d.features, 0) == std::vector<double>{1, 1, 0, 0});
  CHECK(row(d.features, 1) == std::vector<double>{3, 0, 0, 1});  // mean of 1 and 5
  CHECK(row(d.features, 2) == std::vector<double>{5, 0, 1, 0});
  CHECK(row(d.features, 3) == std::vector<double>{3, 0, 0, 1});
}

TEST_CASE("read_csv errors name the file, line:column and the problem") {
  TempDir dir;
  const std::string f = dir / "e.csv";
  SECTION("missing file") {
    CHECK_THAT(test::error_of([&] { read_csv(dir / "none.csv", label("y")); }),
               Catch::Contains("read_csv") && Catch::Contains(dir / "none.csv") && Catch::Contains("cannot open"));
  }
  SECTION("unknown label column lists the columns") {
    test::write_text(f, "a,b\n1,2\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("target")); }), Catch::Contains(f + ":1") &&
                                                                    Catch::Contains("unknown label column 'target'") &&
                                                                    Catch::Contains("a, b"));
    CHECK_THAT(test::error_of([&] { read_csv(f, CsvOptions{}); }), Catch::Contains("no label column"));
  }
  SECTION("a number beyond float32 is an error, not an inf feature") {
    test::write_text(f, "a,b,y\n1,2,0\n3,1e300,1\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":3:2") && Catch::Contains("column 'b'") && Catch::Contains("float32"));
    test::write_text(f, "a,y\n1,-1e39\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, {.label_column = "y", .label_kind = LabelKind::regression}); }),
               Catch::Contains(f + ":2:2") && Catch::Contains("float32"));
  }
  SECTION("ragged row") {
    test::write_text(f, "a,b,y\n1,2,0\n\n3,4\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":4:") && Catch::Contains("ragged row: 2 cells") && Catch::Contains("has 3"));
  }
  SECTION("non-numeric cell in a numeric column") {
    test::write_text(f, "a,b,y\n1,2,0\n3,4,1\n5,x7,0\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":4:2:") && Catch::Contains("column 'b' is numeric") &&
                   Catch::Contains("2 of its 3 values") && Catch::Contains("'x7', not a number"));
  }
  SECTION("non-finite numbers are not numbers") {
    test::write_text(f, "a,y\n1,0\n2,0\ninf,1\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":4:1:") && Catch::Contains("'inf'"));
  }
  SECTION("a missing label is never filled") {
    test::write_text(f, "a,y\n1,0\n2,?\n");
    CsvOptions o = label("y");
    o.missing = MissingValues::fill;
    CHECK_THAT(test::error_of([&] { read_csv(f, o); }),
               Catch::Contains(f + ":3:2:") && Catch::Contains("label column 'y'") && Catch::Contains("missing value"));
  }
  SECTION("a regression target must be a number") {
    test::write_text(f, "a,y\n1,0.5\n2,big\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y", LabelKind::regression)); }),
               Catch::Contains(f + ":3:2:") && Catch::Contains("'big' is not a number"));
  }
  SECTION("unterminated quote and text after a quote") {
    test::write_text(f, "a,y\n\"1,0\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":2:1:") && Catch::Contains("unterminated quote"));
    test::write_text(f, "a,y\n1,\"0\"x\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":2:2:") && Catch::Contains("after a closing quote"));
  }
  SECTION("bad headers and empty files") {
    test::write_text(f, "a,a,y\n1,2,3\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":1:2:") && Catch::Contains("duplicate column name 'a'"));
    test::write_text(f, "a,,y\n1,2,3\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }),
               Catch::Contains(f + ":1:2:") && Catch::Contains("empty column name"));
    test::write_text(f, "\n\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }), Catch::Contains(f) && Catch::Contains("empty"));
    test::write_text(f, "a,y\n");
    CHECK_THAT(test::error_of([&] { read_csv(f, label("y")); }), Catch::Contains(f) && Catch::Contains("no data rows"));
  }
  SECTION("a column with no values cannot be filled") {
    test::write_text(f, "a,y\n,0\nNA,1\n");
    CsvOptions o = label("y");
    o.missing = MissingValues::fill;
    CHECK_THAT(test::error_of([&] { read_csv(f, o); }), Catch::Contains(f) && Catch::Contains("'a' has no values"));
  }
  SECTION("unknown names in the option lists") {
    test::write_text(f, "a,y\n1,0\n");
    CsvOptions o = label("y");
    o.ignore_columns = {"zz"};
    CHECK_THAT(test::error_of([&] { read_csv(f, o); }), Catch::Contains("unknown column in ignore_columns 'zz'"));
  }
}

TEST_CASE("read_csv without a header: columns named by position, the label by index from either end") {
  TempDir dir;
  test::write_text(dir / "n.csv", "1.5,x,a\n2.5,y,b\n3.5,x,a\n");
  CsvOptions o;
  o.header = false;
  o.label_index = -1;
  CsvData d = read_csv(dir / "n.csv", o);
  CHECK(d.feature_names == Names{"0", "1=x", "1=y"});
  CHECK(d.class_names == Names{"a", "b"});
  CHECK(d.labels.to_vector() == std::vector<double>{0, 1, 0});
  CHECK(row(d.features, 1) == std::vector<double>{2.5, 0, 1});

  o.label_index = 1;  // the same file, the middle column as the label
  CsvData m = read_csv(dir / "n.csv", o);
  CHECK(m.class_names == Names{"x", "y"});
  CHECK(m.feature_names == Names{"0", "2=a", "2=b"});
  o.label_index = -3;
  CHECK(read_csv(dir / "n.csv", o).class_names == Names{"1.5", "2.5", "3.5"});

  o.label_index.reset();  // positions are names too, for every option that takes names
  o.label_column = "2";
  o.ignore_columns = {"1"};
  CsvData named = read_csv(dir / "n.csv", o);
  CHECK(named.feature_names == Names{"0"});
  CHECK(named.class_names == Names{"a", "b"});
}

TEST_CASE("read_csv column_names name a headerless file, or replace a header's names") {
  TempDir dir;
  test::write_text(dir / "n.csv", "1,2,a\n3,4,b\n");
  CsvOptions o;
  o.header = false;
  o.column_names = {"width", "height", "kind"};
  o.label_column = "kind";
  CsvData d = read_csv(dir / "n.csv", o);
  CHECK(d.feature_names == Names{"width", "height"});
  CHECK(d.features.to_vector() == std::vector<double>{1, 2, 3, 4});

  test::write_text(dir / "h.csv", "A,B,C\n1,2,a\n3,4,b\n");
  o.header = true;  // the header row is still read (and dropped), so it is not taken for data
  CsvData h = read_csv(dir / "h.csv", o);
  CHECK(h.feature_names == Names{"width", "height"});
  CHECK(h.labels.to_vector() == std::vector<double>{0, 1});
}

TEST_CASE("read_csv skip_rows drops lines before the header, unread; positions still count them") {
  TempDir dir;
  test::write_text(dir / "s.csv", "# exported 2024, \"unbalanced\n\n150,2,setosa\na,y\n1,0\n2,x\n");
  CsvOptions o = label("y");
  o.skip_rows = 3;  // the comment (an unterminated quote, never split), a blank line, the count line
  CsvData d = read_csv(dir / "s.csv", o);
  CHECK(d.feature_names == Names{"a"});
  CHECK(d.class_names == Names{"0", "x"});

  test::write_text(dir / "bad.csv", "junk\nb,y\n1,0\nq,1\n7,0\n8,1\n");
  o.skip_rows = 1;
  CHECK_THAT(error_of([&] { read_csv(dir / "bad.csv", o); }), Catch::Contains(dir / "bad.csv" + ":4:1:") &&
                                                                 Catch::Contains("'q', not a number"));
  o.skip_rows = 0;  // without the skip the junk line is the header and 'y' is unknown
  CHECK_THAT(error_of([&] { read_csv(dir / "bad.csv", o); }), Catch::Contains("unknown label column 'y'") &&
                                                                 Catch::Contains("the columns are: junk"));
}

TEST_CASE("read_csv label by index with a header row") {
  TempDir dir;
  test::write_text(dir / "i.csv", "a,b,label\n1,2,u\n3,4,v\n");
  CsvOptions o;
  o.label_index = 2;
  CsvData d = read_csv(dir / "i.csv", o);
  CHECK(d.feature_names == Names{"a", "b"});
  CHECK(d.class_names == Names{"u", "v"});
}

TEST_CASE("read_csv errors for the layout options name the file, the line and the problem") {
  TempDir dir;
  const std::string f = dir / "e.csv";
  test::write_text(f, "\n1,2,3\n4,5,6\n");
  CsvOptions o;
  o.header = false;
  SECTION("the label is given twice, or not at all") {
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains("read_csv: " + f) &&
                                                      Catch::Contains("no label column") &&
                                                      Catch::Contains("label_index"));
    o.label_column = "2";
    o.label_index = 2;
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains(f) && Catch::Contains("both label_column '2'") &&
                                                      Catch::Contains("label_index 2"));
  }
  SECTION("a label index out of range gives the valid range") {
    for (std::int64_t index : {3, -4}) {
      o.label_index = index;
      CHECK_THAT(error_of([&] { read_csv(f, o); }),
                 Catch::Contains(f + ":2:") && Catch::Contains(cat("label_index ", index, " is out of range")) &&
                     Catch::Contains("3 columns of line 2 (the first row)") && Catch::Contains("-3 to 2"));
    }
  }
  SECTION("column_names of the wrong length, with an empty or a repeated name") {
    o.label_index = -1;
    o.column_names = {"a", "b"};
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains(f + ":2:") &&
                                                      Catch::Contains("column_names has 2 names") &&
                                                      Catch::Contains("3 columns"));
    o.column_names = {"a", "", "c"};
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains(f + ":2:2:") &&
                                                      Catch::Contains("empty column name in column_names"));
    o.column_names = {"a", "b", "a"};
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains(f + ":2:3:") &&
                                                      Catch::Contains("duplicate column name 'a' in column_names") &&
                                                      Catch::Contains("also column 1"));
  }
  SECTION("skip_rows below zero or past the end of the file") {
    o.label_index = -1;
    o.skip_rows = -1;
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains(f) && Catch::Contains("skip_rows is -1"));
    o.skip_rows = 3;
    CHECK_THAT(error_of([&] { read_csv(f, o); }),
               Catch::Contains(f) && Catch::Contains("the file is empty after skipping its first 3 lines"));
  }
  SECTION("a ragged row is measured against the first row when there is no header") {
    test::write_text(f, "1,2,3\n4,5\n");
    o.label_index = 0;
    CHECK_THAT(error_of([&] { read_csv(f, o); }), Catch::Contains(f + ":2:") && Catch::Contains("ragged row: 2 cells") &&
                                                      Catch::Contains("line 1 (the first row) has 3"));
  }
  SECTION("an unknown name lists the positional names") {
    o.label_column = "label";
    CHECK_THAT(error_of([&] { read_csv(f, o); }),
               Catch::Contains(f + ":2:") && Catch::Contains("unknown label column 'label'") &&
                   Catch::Contains("the columns are: 0, 1, 2"));
  }
}

// ---- scikit-learn's bundled CSVs, from Debian's python3-sklearn (scripts/setup.sh installs it) ----
//
// iris.csv, wine_data.csv and breast_cancer.csv start with a count line "<samples>,<features>,<class
// names...>" and carry the class id in the last column; digits.csv.gz has no header line at all.
// The expected counts per class were counted from these files with Python's csv module.

namespace {

const std::string kSklearnData = "/usr/lib/python3/dist-packages/sklearn/datasets/data/";

std::string sklearn_file(const std::string& name) {
  const std::string path = kSklearnData + name;
  if (!std::filesystem::exists(path))
    FAIL(path << " is missing: run scripts/setup.sh (it installs the Debian package python3-sklearn)");
  return path;
}

// The cells of a file's first line, read without read_csv.
std::vector<std::string> first_line_cells(const std::string& path) {
  std::ifstream in(path);
  std::string line, cell;
  std::getline(in, line);
  std::vector<std::string> cells;
  std::stringstream split(line);
  while (std::getline(split, cell, ',')) cells.push_back(cell);
  return cells;
}

std::vector<std::int64_t> class_counts(const Tensor& labels, std::size_t classes) {
  std::vector<std::int64_t> counts(classes, 0);
  for (double y : labels.to_vector()) ++counts.at(static_cast<std::size_t>(y));
  return counts;
}

}  // namespace

TEST_CASE("read_csv reads scikit-learn's iris, wine and breast-cancer CSVs past their count line") {
  struct Expected {
    std::string file;
    std::int64_t n, d;
    std::vector<std::int64_t> per_class;
    std::vector<double> first_row;
  };
  for (const Expected& e : {Expected{"iris.csv", 150, 4, {50, 50, 50}, {5.1, 3.5, 1.4, 0.2}},
                            Expected{"wine_data.csv", 178, 13, {59, 71, 48}, {14.23, 1.71, 2.43, 15.6}},
                            Expected{"breast_cancer.csv", 569, 30, {212, 357}, {17.99, 10.38, 122.8, 1001}}}) {
    INFO(e.file);
    const std::string path = sklearn_file(e.file);
    CsvData data = read_csv(path, {.label_index = -1, .skip_rows = 1, .header = false});
    // The count line agrees with what was read: samples, features, and one class name per class id.
    const std::vector<std::string> count_line = first_line_cells(path);
    REQUIRE(count_line.size() == 2 + e.per_class.size());
    CHECK(std::stoll(count_line[0]) == e.n);
    CHECK(std::stoll(count_line[1]) == e.d);
    REQUIRE(data.features.shape() == Shape{e.n, e.d});
    CHECK(data.class_names.size() == e.per_class.size());
    CHECK(class_counts(data.labels, e.per_class.size()) == e.per_class);
    for (std::size_t j = 0; j < e.first_row.size(); ++j)
      CHECK(data.features.at({0, static_cast<std::int64_t>(j)}) == Approx(e.first_row[j]).epsilon(1e-7));
  }
}

TEST_CASE("read_csv reads scikit-learn's headerless, gzipped digits: 1797 images of 64 pixels, 10 classes") {
  CsvData data = read_csv(sklearn_file("digits.csv.gz"), {.label_index = -1, .header = false});
  REQUIRE(data.features.shape() == Shape{1797, 64});
  CHECK(data.class_names == Names{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  CHECK(class_counts(data.labels, 10) == std::vector<std::int64_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180});
  CHECK(row(data.features, 0)[2] == 5);   // the first image starts 0,0,5,13,9,1,0,0
  CHECK(row(data.features, 0)[3] == 13);
  const std::vector<double> pixels = data.features.to_vector();
  CHECK(*std::max_element(pixels.begin(), pixels.end()) == 16);  // 4-bit grey levels, 0..16
  CHECK(*std::min_element(pixels.begin(), pixels.end()) == 0);
}
