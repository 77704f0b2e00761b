#include "datasets/csv.h"
#include "files.h"
#include "support.h"

using namespace tg;
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
