#include "datasets/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <span>
#include <string_view>

#include "tensor/error.h"
#include "datasets/byte_reader.h"

namespace tg {
namespace {

struct Line {
  int number;  // 1-based, counting blank lines too, so it matches an editor
  std::vector<std::string> cells;
};

enum class Role { feature, label, ignored };
enum class Kind { numeric, categorical };

struct Column {
  Role role = Role::feature;
  Kind kind = Kind::numeric;
  std::int64_t values = 0;   // non-missing cells
  std::int64_t numbers = 0;  // of those, how many parse as numbers
  bool has_missing = false;
  double mean = 0;                      // numeric: over the non-missing cells
  std::vector<std::string> categories;  // categorical and class labels: distinct values, sorted
};

// "read_csv: data.csv:4:2: " — a cell's position as line:column, both 1-based. Formatting costs a
// stream, so hot loops call it only once they have found a problem.
struct Where {
  const std::string& path;
  std::string operator()(int line, std::size_t column) const {
    return cat("read_csv: ", path, ":", line, ":", column, ": ");
  }
  std::string operator()(int line) const { return cat("read_csv: ", path, ":", line, ": "); }
};

bool is_missing(std::string_view cell) { return cell.empty() || cell == "NA" || cell == "?"; }

// A finite number in the whole cell ("+1.5", "-2e3"); from_chars alone rejects a leading '+'.
bool parse_number(std::string_view cell, double& value) {
  if (cell.size() > 1 && cell[0] == '+' && cell[1] != '-') cell.remove_prefix(1);
  const char* end = cell.data() + cell.size();
  auto [stop, error] = std::from_chars(cell.data(), end, value);
  return error == std::errc() && stop == end && std::isfinite(value);
}
bool is_number(std::string_view cell) {
  double ignored;
  return parse_number(cell, ignored);
}

std::string read_text(const std::string& path) {
  ByteReader in(path, "read_csv");
  std::string text;
  char buffer[1 << 16];
  while (std::size_t n = in.read_some(buffer, sizeof buffer)) text.append(buffer, n);
  if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte-order mark from spreadsheet exports
  return text;
}

// Splits one line into cells. Quoted cells keep their text verbatim ("" is a quote); unquoted ones
// are trimmed of blanks (unless the blank is the delimiter itself).
std::vector<std::string> split_cells(std::string_view line, char delimiter, int number, const Where& at) {
  const auto blank = [&](char c) { return (c == ' ' || c == '\t') && c != delimiter; };
  std::vector<std::string> cells;
  std::size_t i = 0;
  const std::size_t n = line.size();
  for (;;) {
    const std::size_t column = cells.size() + 1;
    while (i < n && blank(line[i])) ++i;
    std::string cell;
    if (i < n && line[i] == '"') {
      for (++i;; ++i) {
        if (i == n) throw Error(at(number, column) + "unterminated quote (a quoted cell must end on its own line)");
        if (line[i] == '"' && i + 1 < n && line[i + 1] == '"') {
          cell += '"';
          ++i;
        } else if (line[i] == '"') {
          break;
        } else {
          cell += line[i];
        }
      }
      ++i;
      while (i < n && blank(line[i])) ++i;
      if (i < n && line[i] != delimiter) throw Error(at(number, column) + "unexpected text after a closing quote");
    } else {
      std::size_t end = std::min(line.find(delimiter, i), n);
      std::size_t last = end;
      while (last > i && blank(line[last - 1])) --last;
      cell.assign(line.substr(i, last - i));
      i = end;
    }
    cells.push_back(std::move(cell));
    if (i >= n) return cells;
    ++i;  // the delimiter
  }
}

// The non-blank lines after the first `skip` (which are not even split into cells).
std::vector<Line> split_lines(const std::string& text, char delimiter, std::int64_t skip, const Where& at) {
  std::vector<Line> lines;
  int number = 0;
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = std::min(text.find('\n', begin), text.size());
    std::string_view line(text.data() + begin, end - begin);
    if (line.ends_with('\r')) line.remove_suffix(1);
    ++number;
    begin = end + 1;
    if (number <= skip || line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lines.push_back({number, split_cells(line, delimiter, number, at)});
  }
  return lines;
}

// Numeric order when every value is a number (ties between "1" and "1.0" by text), else byte order.
void sort_values(std::vector<std::string>& values) {
  if (std::all_of(values.begin(), values.end(), is_number)) {
    std::sort(values.begin(), values.end(), [](const std::string& a, const std::string& b) {
      double x = 0, y = 0;
      parse_number(a, x);
      parse_number(b, y);
      return x != y ? x < y : a < b;
    });
  } else {
    std::sort(values.begin(), values.end());
  }
}

}  // namespace

CsvData read_csv(const std::string& path, const CsvOptions& options) {
  const Where at{path};
  const bool by_name = !options.label_column.empty(), by_index = options.label_index.has_value();
  check(by_name || by_index, "read_csv: ", path,
        ": no label column given (set CsvOptions::label_column to a name or label_index to a position)");
  check(!(by_name && by_index), "read_csv: ", path, ": both label_column '", options.label_column,
        "' and label_index ", options.label_index.value_or(0), " are set; give the label column one way");
  check(options.skip_rows >= 0, "read_csv: ", path, ": skip_rows is ", options.skip_rows, "; it must be 0 or more");
  const std::vector<Line> lines = split_lines(read_text(path), options.delimiter, options.skip_rows, at);
  check(!lines.empty(), "read_csv: ", path, ": the file is empty",
        options.skip_rows ? cat(" after skipping its first ", options.skip_rows, " lines") : "",
        options.header ? " (expected a header row)" : "");

  // ---- column names (the header's, the caller's or positions), and the role each column plays ----
  const Line& first = lines[0];  // the header, or the first data row
  const std::span<const Line> rows = std::span(lines).subspan(options.header ? 1 : 0);
  const std::string layout = cat("line ", first.number, options.header ? " (the header)" : " (the first row)");
  const bool named_by_caller = !options.column_names.empty();
  std::vector<std::string> names = named_by_caller ? options.column_names : first.cells;
  if (named_by_caller) {
    check(names.size() == first.cells.size(), at(first.number), "column_names has ", names.size(),
          " names, but ", layout, " has ", first.cells.size(), " columns");
  } else if (!options.header) {
    for (std::size_t c = 0; c < names.size(); ++c) names[c] = std::to_string(c);  // as pandas' header=None
  }
  const std::string names_from = named_by_caller ? " in column_names" : " in the header";
  std::string all_names;
  for (std::size_t c = 0; c < names.size(); ++c) {
    check(!names[c].empty(), at(first.number, c + 1), "empty column name", names_from);
    const auto earlier = std::find(names.begin(), names.end(), names[c]) - names.begin();
    check(earlier == static_cast<std::ptrdiff_t>(c), at(first.number, c + 1), "duplicate column name '", names[c],
          "'", names_from, " (also column ", earlier + 1, ")");
    all_names += (c ? ", " : "") + names[c];
  }
  const auto find_column = [&](const std::string& name, const char* what) {
    const auto it = std::find(names.begin(), names.end(), name);
    check(it != names.end(), at(first.number), "unknown ", what, " '", name, "'; the columns are: ", all_names);
    return static_cast<std::size_t>(it - names.begin());
  };
  const auto width = static_cast<std::int64_t>(names.size());
  std::vector<Column> columns(names.size());
  std::size_t label = 0;
  if (by_name) {
    label = find_column(options.label_column, "label column");
  } else {
    const std::int64_t index = *options.label_index;
    check(index >= -width && index < width, at(first.number), "label_index ", index, " is out of range for the ",
          width, " columns of ", layout, "; valid: ", -width, " to ", width - 1);
    label = static_cast<std::size_t>(index < 0 ? index + width : index);
  }
  columns[label].role = Role::label;
  for (const std::string& name : options.ignore_columns) {
    const std::size_t c = find_column(name, "column in ignore_columns");
    check(c != label, at(first.number), "the label column '", name, "' is also in ignore_columns");
    columns[c].role = Role::ignored;
  }
  std::vector<bool> forced_categorical(names.size(), false);
  for (const std::string& name : options.categorical_columns)
    forced_categorical[find_column(name, "column in categorical_columns")] = true;

  // ---- rows: rectangular, then each column's kind from its cells ----
  const std::size_t n = rows.size();
  check(n > 0, "read_csv: ", path, ": no data rows", options.header ? " after the header" : "");
  for (const Line& row : rows)
    if (row.cells.size() != names.size())
      throw Error(cat(at(row.number), "ragged row: ", row.cells.size(), " cells, but ", layout, " has ", names.size()));

  for (std::size_t c = 0; c < names.size(); ++c) {
    Column& col = columns[c];
    for (std::size_t r = 0; r < n; ++r) {
      const std::string& cell = rows[r].cells[c];
      if (is_missing(cell)) {
        col.has_missing = true;
      } else {
        ++col.values;
        col.numbers += is_number(cell);
      }
    }
    if (col.role != Role::feature) continue;
    col.kind = forced_categorical[c] || 2 * col.numbers <= col.values ? Kind::categorical : Kind::numeric;
    check(col.values > 0 || options.missing == MissingValues::error, "read_csv: ", path, ": column ", c + 1, " '",
          names[c], "' has no values: every cell is missing");
  }

  // ---- every cell, row by row, so the first bad cell in the file is the one reported ----
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t c = 0; c < names.size(); ++c) {
      const Column& col = columns[c];
      const std::string& cell = rows[r].cells[c];
      // The position is formatted only on failure: this loop visits every cell of the file.
      const auto fail = [&](const auto&... parts) { throw Error(cat(at(rows[r].number, c + 1), parts...)); };
      if (col.role == Role::ignored) continue;
      if (col.role == Role::label) {
        if (is_missing(cell))
          fail("label column '", names[c], "': missing value '", cell, "' (a label is never filled)");
        if (options.label_kind == LabelKind::regression && !is_number(cell))
          fail("label column '", names[c], "': '", cell, "' is not a number, and a regression target must be");
      } else if (is_missing(cell)) {
        if (options.missing == MissingValues::error)
          fail("column '", names[c], "': missing value '", cell,
               "' (the missing-value policy is error; MissingValues::fill would use the column mean or a \"",
               kMissingCategory, "\" category)");
      } else if (col.kind == Kind::numeric && !is_number(cell)) {
        fail("column '", names[c], "' is numeric (", col.numbers, " of its ", col.values,
             " values are numbers) but this cell is '", cell,
             "', not a number (list the column in categorical_columns if it is categorical)");
      }
    }
  }

  // ---- encoding: one feature per numeric column, one per category of a categorical column ----
  CsvData out;
  std::vector<std::int64_t> first_feature(names.size(), 0);
  std::vector<std::map<std::string, std::int64_t>> code(names.size());  // value -> one-hot slot or class id
  for (std::size_t c = 0; c < names.size(); ++c) {
    Column& col = columns[c];
    if (col.role == Role::ignored || (col.role == Role::label && options.label_kind == LabelKind::regression)) continue;
    if (col.role == Role::feature && col.kind == Kind::numeric) {
      double sum = 0, v = 0;
      for (std::size_t r = 0; r < n; ++r) sum += parse_number(rows[r].cells[c], v) ? v : 0.0;
      col.mean = col.values ? sum / static_cast<double>(col.values) : 0.0;
      first_feature[c] = static_cast<std::int64_t>(out.feature_names.size());
      out.feature_names.push_back(names[c]);
      continue;
    }
    for (std::size_t r = 0; r < n; ++r)
      if (!is_missing(rows[r].cells[c])) code[c].emplace(rows[r].cells[c], 0);
    for (const auto& [value, unused] : code[c]) col.categories.push_back(value);
    sort_values(col.categories);
    for (std::size_t k = 0; k < col.categories.size(); ++k) code[c][col.categories[k]] = static_cast<std::int64_t>(k);
    if (col.role == Role::label) {
      out.class_names = col.categories;
      continue;
    }
    first_feature[c] = static_cast<std::int64_t>(out.feature_names.size());
    for (const std::string& value : col.categories) out.feature_names.push_back(names[c] + "=" + value);
    if (col.has_missing) out.feature_names.push_back(names[c] + "=" + kMissingCategory);
  }

  const auto count = static_cast<std::int64_t>(n), features = static_cast<std::int64_t>(out.feature_names.size());
  out.features = zeros({count, features}, DType::float32);
  const bool regression = options.label_kind == LabelKind::regression;
  out.labels = empty({count}, regression ? DType::float32 : DType::int64);
  // A number that parses as a double may still be beyond float32 (1e300 would become inf).
  const auto as_float = [&](double v, std::int64_t i, std::size_t c) {
    const auto f = static_cast<float>(v);
    check(std::isfinite(f), at(rows[static_cast<std::size_t>(i)].number, c + 1), "column '", names[c], "': ", v,
          is_missing(rows[static_cast<std::size_t>(i)].cells[c]) ? " (the column's mean, filling a missing cell)" : "",
          " does not fit in float32 (largest ", std::numeric_limits<float>::max(), ")");
    return f;
  };
  for (std::int64_t i = 0; i < count; ++i) {
    const std::vector<std::string>& cells = rows[static_cast<std::size_t>(i)].cells;
    float* x = out.features.data<float>() + i * features;
    for (std::size_t c = 0; c < names.size(); ++c) {
      const Column& col = columns[c];
      const std::string& cell = cells[c];
      double v = 0;
      if (col.role == Role::label && regression) {
        parse_number(cell, v);
        out.labels.data<float>()[i] = as_float(v, i, c);
      } else if (col.role == Role::label) {
        out.labels.data<std::int64_t>()[i] = code[c].at(cell);
      } else if (col.role == Role::feature && col.kind == Kind::numeric) {
        x[first_feature[c]] = as_float(parse_number(cell, v) ? v : col.mean, i, c);
      } else if (col.role == Role::feature) {
        const auto slot = is_missing(cell) ? static_cast<std::int64_t>(col.categories.size()) : code[c].at(cell);
        x[first_feature[c] + slot] = 1.0f;
      }
    }
  }
  return out;
}

}  // namespace tg
