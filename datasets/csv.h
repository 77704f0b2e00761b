// Tabular data from a CSV file (the UCI comparison reads its data sets here).
//
// Layout: CsvOptions::skip_rows lines at the top are not read at all; then comes a header row of
// column names (unless header is false), then one row per example. Columns are named by the header,
// by CsvOptions::column_names (which replace the header's names when both are there), or, with
// neither, by their 0-based position "0", "1", ... as pandas names them. scikit-learn's bundled
// CSVs, say, start with a count line ("150,4,setosa,versicolor,virginica") and carry the class id in
// the last column: {.label_index = -1, .skip_rows = 1, .header = false} reads them.
//
// Each column is one of:
//   label       — the column named by CsvOptions::label_column, or at label_index. Classification:
//                 each distinct value becomes a class id, in sorted order of the values. Regression: a
//                 number.
//   numeric     — more than half of its non-missing cells are numbers; it gives one feature.
//   categorical — otherwise, or when listed in categorical_columns; one-hot encoded, one feature
//                 "name=value" per distinct value, in sorted order.
// "Sorted" is numeric order when every value is a number ("2" before "10"), else byte order.
// A missing cell is an empty one, "NA" or "?". What happens to it is CsvOptions::missing.
// Cells may be quoted ("a, b" with "" for a quote inside); unquoted cells are trimmed of spaces
// and tabs; blank lines are skipped; the file may be gzip-compressed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datasets/dataset.h"

namespace tg {

enum class LabelKind { classification, regression };

/// error: a missing feature cell throws, naming its line and column (the default: nothing is
///        guessed silently).
/// fill:  a numeric cell gets its column's mean over the non-missing cells of this file; a
///        categorical cell gets its own category "<missing>", placed after the sorted values.
/// A missing label always throws.
enum class MissingValues { error, fill };

inline constexpr const char* kMissingCategory = "<missing>";

struct CsvOptions {
  // ---- the label: by name or by position, exactly one of the two ----
  std::string label_column = {};                 ///< by name (the header's, or column_names')
  std::optional<std::int64_t> label_index = {};  ///< by 0-based position; negative counts from the end (-1: last)
  LabelKind label_kind = LabelKind::classification;
  // ---- the file's layout ----
  std::int64_t skip_rows = 0;  ///< lines at the top that are not read at all, blank or not (a count line)
  bool header = true;          ///< false: the first line read is already data
  std::vector<std::string> column_names = {};  ///< one name per column; replaces the header's names if any
  char delimiter = ',';
  // ---- cells ----
  MissingValues missing = MissingValues::error;
  std::vector<std::string> categorical_columns = {};  ///< one-hot even when the values are numbers
  std::vector<std::string> ignore_columns = {};       ///< dropped, e.g. an id column
};

struct CsvData {
  Tensor features;                         ///< float32 [N, D]
  Tensor labels;                           ///< int64 class ids [N], or float32 targets [N] for regression
  std::vector<std::string> feature_names;  ///< D names in column order: "age", "color=blue", "color=red", ...
  std::vector<std::string> class_names;    ///< classification: class_names[id] is the label's value
  Dataset dataset() const { return {features, labels}; }
};

/// Reads and encodes the whole file, or throws "read_csv: <path>:<line>:<column>: <problem>" (line and
/// column are 1-based and count every line of the file, skipped and blank ones too).
CsvData read_csv(const std::string& path, const CsvOptions& options);

}  // namespace tg
