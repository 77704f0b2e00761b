#include "datasets/arff.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "datasets/byte_reader.h"
#include "tensor/error.h"

namespace tg {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

struct Token {
  std::string text;
  bool quoted = false;
};

// One line of the file and a read position in it. Every problem it reports names the line.
class Cursor {
 public:
  Cursor(std::string_view line, int number, const std::string& path) : s_(line), number_(number), path_(path) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(cat("read_arff: ", path_, ":", number_, ": ", problem));
  }
  /// True at the end of the line or at a comment, after any blanks.
  bool done() {
    while (i_ < s_.size() && is_blank(s_[i_])) ++i_;
    return i_ >= s_.size() || s_[i_] == '%';
  }
  /// Consumes c if it is the next character after blanks.
  bool consume(char c) {
    if (done() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  /// A quoted string, or an unquoted run of characters up to one of `stops`, a comment or (when
  /// `blank_ends`) a blank, trimmed. Throws naming `what` when there is none.
  Token token(std::string_view stops, bool blank_ends, std::string_view what) {
    if (done()) fail(cat("expected ", what, ", the line ends"));
    if (s_[i_] == '\'' || s_[i_] == '"') return {quoted(what), true};
    const std::size_t begin = i_;
    while (i_ < s_.size() && s_[i_] != '%' && stops.find(s_[i_]) == std::string_view::npos &&
           !(blank_ends && is_blank(s_[i_])))
      ++i_;
    std::size_t end = i_;
    while (end > begin && is_blank(s_[end - 1])) --end;
    if (end == begin) fail(cat("expected ", what, ", found '", s_.substr(i_, 1), "'"));
    return {std::string(s_.substr(begin, end - begin)), false};
  }
  /// Fails unless only blanks or a comment are left.
  void expect_end(std::string_view after) {
    if (!done()) fail(cat("unexpected text '", rest(), "' after ", after));
  }
  std::string_view rest() const { return s_.substr(i_); }

 private:
  static bool is_blank(char c) { return c == ' ' || c == '\t'; }

  // A string in ' or " quotes, with backslash escapes; the position is on the opening quote.
  std::string quoted(std::string_view what) {
    const char quote = s_[i_++];
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail(cat("unterminated quote in ", what, " (a quoted string must end on its own line)"));
      char c = s_[i_++];
      if (c == quote) return out;
      if (c == '\\' && i_ < s_.size()) {
        const char e = s_[i_++];
        switch (e) {
          case 'n': c = '\n'; break;
          case 't': c = '\t'; break;
          case 'r': c = '\r'; break;
          case '\\': case '\'': case '"': case '%': c = e; break;
          default: out += '\\'; c = e;  // an unknown escape is kept as it stands
        }
      }
      out += c;
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int number_;
  const std::string& path_;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A finite number filling the whole text; "+1.5" is accepted although from_chars rejects the '+'.
bool to_number(std::string_view text, double& value) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
  const auto [stop, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && stop == text.data() + text.size() && std::isfinite(value);
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

// One declared attribute, string ones included, with where its cells go.
struct Column {
  std::string name;
  bool stored = true;  // false for a string attribute
  std::int64_t slot = -1;  // its index in ArffData::attributes when stored
  std::unordered_map<std::string, double> index;  // nominal: value -> position
};

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  ArffData read() {
    std::string text = ByteReader(path_, "read_arff").read_rest();
    if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
    int number = 0;
    for (std::size_t begin = 0; begin < text.size();) {
      const std::size_t end = std::min(text.find('\n', begin), text.size());
      std::string_view line(text.data() + begin, end - begin);
      if (line.ends_with('\r')) line.remove_suffix(1);
      begin = end + 1;
      Cursor cursor(line, ++number, path_);
      if (cursor.done()) continue;
      in_data_ ? data_row(cursor) : directive(cursor);
    }
    check(in_data_, "read_arff: ", path_, ": no @data section (", number, " lines read)");
    return std::move(data_);
  }

 private:
  // ---- the header ----

  void directive(Cursor& c) {
    if (!c.consume('@')) c.fail(cat("expected @relation, @attribute or @data, found '", c.rest(), "'"));
    const std::string word = lower(c.token("{", true, "a keyword after @").text);
    if (word == "relation") {
      if (seen_relation_) c.fail("a second @relation");
      seen_relation_ = true;
      data_.relation = c.token("", true, "the relation's name").text;
      c.expect_end("the relation's name");
    } else if (word == "attribute") {
      if (!seen_relation_) c.fail("@attribute before @relation");
      attribute(c);
    } else if (word == "data") {
      if (columns_.empty()) c.fail("@data before any @attribute");
      c.expect_end("@data");
      in_data_ = true;
    } else {
      c.fail(cat("unknown directive '@", word, "' (expected @relation, @attribute or @data)"));
    }
  }

  void attribute(Cursor& c) {
    Column column;
    column.name = c.token("{", true, "an attribute name").text;
    for (const Column& other : columns_)
      if (other.name == column.name) c.fail(cat("duplicate attribute name '", column.name, "'"));
    const std::string what = cat("attribute '", column.name, "'");
    ArffAttribute attribute{column.name, ArffType::numeric, {}};
    if (c.consume('{')) {
      attribute.type = ArffType::nominal;
      if (c.consume('}')) c.fail(what + ": an empty list of nominal values");
      do {
        std::string value = c.token(",}", false, what + "'s next nominal value").text;
        if (!column.index.emplace(value, static_cast<double>(attribute.values.size())).second)
          c.fail(cat(what, ": the nominal value '", value, "' is declared twice"));
        attribute.values.push_back(std::move(value));
      } while (c.consume(','));
      if (!c.consume('}')) c.fail(what + ": the nominal values do not end with }");
    } else {
      const std::string type = lower(c.token("", true, what + "'s type").text);
      if (type == "string") {
        column.stored = false;
      } else if (type == "date" || type == "relational") {
        c.fail(cat(what, ": ", type, " attributes are not supported"));
      } else if (type != "numeric" && type != "real" && type != "integer") {
        c.fail(cat(what, ": unknown type '", type, "' (expected numeric, real, integer, string or {values})"));
      }
    }
    c.expect_end(what + "'s type");
    if (column.stored) {
      column.slot = data_.columns();
      data_.attributes.push_back(std::move(attribute));
    } else {
      data_.skipped.push_back(column.name);
    }
    columns_.push_back(std::move(column));
  }

  // ---- the instances ----

  void data_row(Cursor& c) {
    const std::size_t first = data_.cells.size();
    data_.cells.resize(first + data_.attributes.size(), 0.0);  // sparse rows leave zeros where nothing is given
    double* row = data_.cells.data() + first;
    ++data_.rows;
    if (c.consume('{')) {
      sparse_row(c, row);
    } else {
      dense_row(c, row);
    }
  }

  void dense_row(Cursor& c, double* row) {
    const std::size_t n = columns_.size();
    for (std::size_t k = 0; k < n; ++k) {
      if (k > 0 && !c.consume(',')) c.fail(cat("the row ends after ", k, " of ", n, " values"));
      store(c, k, c.token(",", false, cat("a value for attribute '", columns_[k].name, "'")), row);
    }
    if (c.consume(',')) {
      if (c.consume('{')) c.fail("instance weights ({w} after the values) are not supported");
      c.fail(cat("the row has more than the ", n, " declared values"));
    }
    c.expect_end("the last value");
  }

  void sparse_row(Cursor& c, double* row) {
    if (c.consume('}')) return c.expect_end("}");
    const std::int64_t n = static_cast<std::int64_t>(columns_.size());
    std::int64_t previous = -1;
    do {
      const Token index = c.token(",}", true, "an attribute index");
      double k = 0;
      if (index.quoted || !to_number(index.text, k) || k != std::floor(k) || k < 0 || k >= static_cast<double>(n))
        c.fail(cat("sparse index '", index.text, "' is not an attribute index in [0, ", n, ")"));
      if (k <= static_cast<double>(previous)) c.fail(cat("sparse index ", k, " does not follow ", previous));
      previous = static_cast<std::int64_t>(k);
      store(c, static_cast<std::size_t>(previous),
            c.token(",}", false, cat("a value for attribute '", columns_[previous].name, "'")), row);
    } while (c.consume(','));
    if (!c.consume('}')) c.fail("a sparse row must end with }");
    c.expect_end("}");
  }

  void store(Cursor& c, std::size_t k, const Token& value, double* row) const {
    const Column& column = columns_[k];
    if (!column.stored) return;
    double& cell = row[column.slot];
    if (!value.quoted && value.text == "?") {
      cell = kMissing;
    } else if (data_.attributes[column.slot].type == ArffType::numeric) {
      if (!to_number(value.text, cell)) c.fail(cat("attribute '", column.name, "': '", value.text, "' is not a number"));
    } else {
      const auto it = column.index.find(value.text);
      if (it == column.index.end())
        c.fail(cat("attribute '", column.name, "': '", value.text, "' is not one of its values {",
                   joined(data_.attributes[column.slot].values), "}"));
      cell = it->second;
    }
  }

  const std::string& path_;
  ArffData data_;
  std::vector<Column> columns_;
  bool seen_relation_ = false, in_data_ = false;
};

}  // namespace

std::int64_t ArffData::attribute_index(std::string_view name, std::string_view op) const {
  std::vector<std::string> names;
  for (std::size_t a = 0; a < attributes.size(); ++a) {
    if (attributes[a].name == name) return static_cast<std::int64_t>(a);
    names.push_back(attributes[a].name);
  }
  throw Error(cat(op, ": relation '", relation, "' has no attribute '", name, "'; its attributes are: ", joined(names)));
}

ArffData read_arff(const std::string& path) { return Reader(path).read(); }

void append_rows(ArffData& data, const ArffData& more, std::string_view op) {
  check(data.columns() == more.columns(), op, ": relations '", data.relation, "' and '", more.relation, "' have ",
        data.columns(), " and ", more.columns(), " attributes");
  for (std::size_t a = 0; a < data.attributes.size(); ++a) {
    const ArffAttribute &x = data.attributes[a], &y = more.attributes[a];
    check(x.name == y.name && x.type == y.type && x.values == y.values, op, ": relations '", data.relation, "' and '",
          more.relation, "' declare attribute ", a + 1, " differently ('", x.name, "' and '", y.name, "')");
  }
  data.cells.insert(data.cells.end(), more.cells.begin(), more.cells.end());
  data.rows += more.rows;
}

}  // namespace tg
