#include "datasets/arff.h"

#include <cmath>
#include <filesystem>

#include "files.h"
#include "support.h"

using namespace tg;
using test::TempDir;

namespace {

using Strings = std::vector<std::string>;

std::vector<double> row(const ArffData& d, std::int64_t r) {
  return {d.cells.begin() + r * d.columns(), d.cells.begin() + (r + 1) * d.columns()};
}

struct BadFile {
  std::string text;
  int line;             // where the problem is
  std::string problem;  // part of the message
};

// Writes the text as bad.arff and requires read_arff to throw "read_arff: <path>:<line>: <problem...>".
void require_arff_error(const BadFile& bad) {
  TempDir dir;
  const std::string path = dir / "bad.arff";
  test::write_text(path, bad.text);
  INFO(bad.text);
  REQUIRE_THROWS_WITH(read_arff(path),
                      Catch::StartsWith(cat("read_arff: ", path, ":", bad.line, ": ")) && Catch::Contains(bad.problem));
}

const std::string kHeader = "@relation r\n@attribute x numeric\n@attribute c {a, b}\n@data\n";  // data from line 5

}  // namespace

TEST_CASE("read_arff: numeric and nominal attributes, comments, quotes, missing values, any case") {
  TempDir dir;
  test::write_text(dir / "a.arff",
                   "% a comment before everything\n"
                   "@RELATION 'my relation'\n"
                   "\n"
                   "@attribute width REAL   % trailing comment\n"
                   "@Attribute 'petal colour' { red , 'dark blue', \"it's\" }\n"
                   "@attribute count integer\n"
                   "@attribute 'odd \\' name' numeric\n"
                   "@data\n"
                   "1.5, red, 3, -2e1\n"
                   "% a comment between rows\n"
                   "?, 'dark blue', +4, .5\r\n"
                   "  -0.25 ,\"it's\",?, 7 % trailing comment on a row\n"
                   "\n");
  const ArffData d = read_arff(dir / "a.arff");
  CHECK(d.relation == "my relation");
  REQUIRE(d.columns() == 4);
  CHECK(d.attributes[0].name == "width");
  CHECK(d.attributes[0].type == ArffType::numeric);
  CHECK(d.attributes[1].name == "petal colour");
  CHECK(d.attributes[1].type == ArffType::nominal);
  CHECK(d.attributes[1].values == Strings{"red", "dark blue", "it's"});
  CHECK(d.attributes[2].type == ArffType::numeric);
  CHECK(d.attributes[3].name == "odd ' name");
  CHECK(d.skipped.empty());
  REQUIRE(d.rows == 3);
  CHECK(row(d, 0) == std::vector<double>{1.5, 0, 3, -20});
  CHECK(std::isnan(d.at(1, 0)));
  CHECK(d.at(1, 1) == 1);
  CHECK(d.at(1, 2) == 4);
  CHECK(d.at(1, 3) == 0.5);
  CHECK(d.at(2, 0) == -0.25);
  CHECK(d.at(2, 1) == 2);
  CHECK(std::isnan(d.at(2, 2)));
  CHECK(d.attribute_index("count", "test") == 2);
  CHECK_THROWS_WITH(d.attribute_index("colour", "test"),
                    Catch::StartsWith("test: relation 'my relation' has no attribute 'colour'") &&
                        Catch::Contains("width, petal colour, count, odd ' name"));
}

TEST_CASE("read_arff: a quoted ? is a value, an unquoted one is missing; escapes in quoted strings") {
  TempDir dir;
  test::write_text(dir / "q.arff",
                   "@relation q\n@attribute s {'?', 'a,b', 'tab\\there', 'per\\%cent'}\n@data\n"
                   "'?'\n?\n'a,b'\n'tab\\there'\n'per\\%cent'\n");
  const ArffData d = read_arff(dir / "q.arff");
  CHECK(d.attributes[0].values == Strings{"?", "a,b", "tab\there", "per%cent"});
  REQUIRE(d.rows == 5);
  CHECK(d.at(0, 0) == 0);
  CHECK(std::isnan(d.at(1, 0)));
  CHECK(d.at(2, 0) == 1);
  CHECK(d.at(3, 0) == 2);
  CHECK(d.at(4, 0) == 3);
}

TEST_CASE("read_arff: string attributes are read and dropped") {
  TempDir dir;
  test::write_text(dir / "s.arff",
                   "@relation s\n@attribute text string\n@attribute y {0, 1}\n@attribute note STRING\n@data\n"
                   "'some, text with \\'quotes\\'', 1, plain\n"
                   "\"more\", 0, ?\n");
  const ArffData d = read_arff(dir / "s.arff");
  REQUIRE(d.columns() == 1);
  CHECK(d.attributes[0].name == "y");
  CHECK(d.skipped == Strings{"text", "note"});
  REQUIRE(d.rows == 2);
  CHECK(d.cells == std::vector<double>{1, 0});
}

TEST_CASE("read_arff: sparse rows; an omitted value is 0, or a nominal's first value") {
  TempDir dir;
  test::write_text(dir / "sparse.arff",
                   "@relation sp\n@attribute a numeric\n@attribute t string\n@attribute c {x, y, z}\n"
                   "@attribute b numeric\n@data\n"
                   "{0 1.5, 3 -2}\n"
                   "{2 z}\n"
                   "{ }\n"
                   "{1 'words', 3 ?}\n"
                   "4, 'dense rows mix in', y, 5\n");
  const ArffData d = read_arff(dir / "sparse.arff");
  REQUIRE(d.columns() == 3);
  REQUIRE(d.rows == 5);
  CHECK(row(d, 0) == std::vector<double>{1.5, 0, -2});
  CHECK(row(d, 1) == std::vector<double>{0, 2, 0});
  CHECK(row(d, 2) == std::vector<double>{0, 0, 0});
  CHECK(d.at(3, 0) == 0);
  CHECK(d.at(3, 1) == 0);
  CHECK(std::isnan(d.at(3, 2)));
  CHECK(row(d, 4) == std::vector<double>{4, 1, 5});
}

TEST_CASE("read_arff: a gzip-compressed file reads the same; a cut-off one is an error") {
  TempDir dir;
  const std::string text = kHeader + "1, a\n2, b\n3, ?\n";
  test::write_text(dir / "plain.arff", text);
  test::write_gz(dir / "packed.arff.gz", test::Bytes(text.begin(), text.end()));
  const ArffData plain = read_arff(dir / "plain.arff"), packed = read_arff(dir / "packed.arff.gz");
  CHECK(packed.rows == 3);
  CHECK(packed.cells.size() == plain.cells.size());
  for (std::size_t i = 0; i < plain.cells.size(); ++i)
    CHECK((packed.cells[i] == plain.cells[i] || (std::isnan(packed.cells[i]) && std::isnan(plain.cells[i]))));

  test::Bytes cut = test::read_bytes(dir / "packed.arff.gz");
  cut.resize(cut.size() - 12);
  test::write_bytes(dir / "cut.arff.gz", cut);
  CHECK_THROWS_WITH(read_arff(dir / "cut.arff.gz"),
                    Catch::StartsWith("read_arff: " + (dir / "cut.arff.gz")) && Catch::Contains("cut off"));
}

TEST_CASE("read_arff: a header with no rows has zero rows") {
  TempDir dir;
  test::write_text(dir / "empty.arff", kHeader);
  const ArffData d = read_arff(dir / "empty.arff");
  CHECK(d.rows == 0);
  CHECK(d.columns() == 2);
}

TEST_CASE("read_arff: every bad header names the file, the line and the problem") {
  const std::vector<BadFile> cases = {
      {"@attribute x numeric\n@data\n", 1, "@attribute before @relation"},
      {"@relation a\n@relation b\n", 2, "a second @relation"},
      {"@relation r\n@data\n", 2, "@data before any @attribute"},
      {"@relation r\n@attribute x numeric\n@end\n", 3, "unknown directive '@end'"},
      {"@relation r\nattribute x numeric\n", 2, "expected @relation, @attribute or @data"},
      {"@relation r\n@attribute x numeric\n@attribute x real\n", 3, "duplicate attribute name 'x'"},
      {"@relation r\n@attribute x number\n", 2, "attribute 'x': unknown type 'number'"},
      {"@relation r\n@attribute d date \"yyyy-MM-dd\"\n", 2, "attribute 'd': date attributes are not supported"},
      {"@relation r\n@attribute b relational\n", 2, "relational attributes are not supported"},
      {"@relation r\n@attribute c {}\n", 2, "attribute 'c': an empty list of nominal values"},
      {"@relation r\n@attribute c {a, b, a}\n", 2, "the nominal value 'a' is declared twice"},
      {"@relation r\n@attribute c {a, b\n", 2, "the nominal values do not end with }"},
      {"@relation r\n@attribute c {a, b} extra\n", 2, "unexpected text 'extra'"},
      {"@relation r\n@attribute 'x numeric\n", 2, "unterminated quote"},
      {"@relation r\n@attribute x\n", 2, "expected attribute 'x''s type"},
  };
  for (const BadFile& c : cases) require_arff_error(c);
}

TEST_CASE("read_arff: every bad row names the file, the line and the problem") {
  const std::vector<BadFile> cases = {
      {kHeader + "1, a\n2\n", 6, "the row ends after 1 of 2 values"},
      {kHeader + "1, a, 3\n", 5, "more than the 2 declared values"},
      {kHeader + "1, a, {3}\n", 5, "instance weights"},
      {kHeader + "one, a\n", 5, "attribute 'x': 'one' is not a number"},
      {kHeader + "inf, a\n", 5, "'inf' is not a number"},
      {kHeader + "1, c\n", 5, "attribute 'c': 'c' is not one of its values {a, b}"},
      {kHeader + ", a\n", 5, "expected a value for attribute 'x'"},
      {kHeader + "1, 'a\n", 5, "unterminated quote"},
      {kHeader + "1, 'a' b\n", 5, "unexpected text 'b'"},
      {kHeader + "{2 a}\n", 5, "sparse index '2' is not an attribute index in [0, 2)"},
      {kHeader + "{0.5 1}\n", 5, "sparse index '0.5'"},
      {kHeader + "{1 a, 0 1}\n", 5, "sparse index 0 does not follow 1"},
      {kHeader + "{0 1, 1 a\n", 5, "a sparse row must end with }"},
      {kHeader + "{0}\n", 5, "expected a value for attribute 'x'"},
      {kHeader + "@attribute late numeric\n", 5, "'@attribute late numeric' is not a number"},
  };
  for (const BadFile& c : cases) require_arff_error(c);
}

TEST_CASE("read_arff: a file with no @data section, or none at all") {
  TempDir dir;
  test::write_text(dir / "nodata.arff", "@relation r\n@attribute x numeric\n");
  CHECK_THROWS_WITH(read_arff(dir / "nodata.arff"),
                    Catch::StartsWith("read_arff: " + (dir / "nodata.arff") + ": no @data section"));
  CHECK_THROWS_WITH(read_arff(dir / "missing.arff"),
                    Catch::StartsWith("read_arff: " + (dir / "missing.arff")) && Catch::Contains("cannot open"));
}

TEST_CASE("append_rows: joins relations that declare the same attributes, and only those") {
  TempDir dir;
  test::write_text(dir / "a.arff", kHeader + "1, a\n");
  test::write_text(dir / "b.arff", kHeader + "2, b\n3, a\n");
  test::write_text(dir / "c.arff", "@relation other\n@attribute x numeric\n@attribute c {a, b, c}\n@data\n4, c\n");
  ArffData a = read_arff(dir / "a.arff");
  append_rows(a, read_arff(dir / "b.arff"), "join");
  CHECK(a.rows == 3);
  CHECK(a.cells == std::vector<double>{1, 0, 2, 1, 3, 0});
  CHECK_THROWS_WITH(append_rows(a, read_arff(dir / "c.arff"), "join"),
                    Catch::StartsWith("join: relations 'r' and 'other' declare attribute 2 differently"));
}

// weka (installed by scripts/setup.sh) ships 23 example files: texts with escaped quotes and
// newlines in string attributes, tab-separated headers, upper-case keywords, missing values.
TEST_CASE("read_arff: reads every ARFF file weka ships") {
  const std::string dir = "/usr/share/doc/weka/examples/";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".arff") continue;
    INFO(entry.path().string());
    const ArffData d = read_arff(entry.path().string());
    CHECK(d.rows > 0);
    CHECK(d.cells.size() == static_cast<std::size_t>(d.rows * d.columns()));
    ++files;
  }
  CHECK(files == 23);
  const ArffData reuters = read_arff(dir + "ReutersCorn-train.arff");
  CHECK(reuters.rows == 1554);
  CHECK(reuters.skipped == Strings{"Text"});
  CHECK(read_arff(dir + "supermarket.arff").columns() == 217);
}
