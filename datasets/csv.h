// Tabular data from a CSV file with a header row (the UCI comparison reads its data sets here).
//
// Each column is one of:
//   label       — the column named by CsvOptions::label_column. Classification: each distinct value
//                 becomes a class id, in sorted order of the values. Regression: a number.
//   numeric     — more than half of its non-missing cells are numbers; it gives one feature.
//   categorical — otherwise, or when listed in categorical_columns; one-hot encoded, one feature
//                 "name=value" per distinct value, in sorted order.
// "Sorted" is numeric order when every value is a number ("2" before "10"), else byte order.
// A missing cell is an empty one, "NA" or "?". What happens to it is CsvOptions::missing.
// Cells may be quoted ("a, b" with "" for a quote inside); unquoted cells are trimmed of spaces
// and tabs; blank lines are skipped; the file may be gzip-compressed.
#pragma once

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
  std::string label_column;  ///< required, by header name
  LabelKind label_kind = LabelKind::classification;
  MissingValues missing = MissingValues::error;
  char delimiter = ',';
  std::vector<std::string> categorical_columns;  ///< one-hot even when the values are numbers
  std::vector<std::string> ignore_columns;       ///< dropped, e.g. an id column
};

struct CsvData {
  Tensor features;                         ///< float32 [N, D]
  Tensor labels;                           ///< int64 class ids [N], or float32 targets [N] for regression
  std::vector<std::string> feature_names;  ///< D names in column order: "age", "color=blue", "color=red", ...
  std::vector<std::string> class_names;    ///< classification: class_names[id] is the label's value
  Dataset dataset() const { return {features, labels}; }
};

/// Reads and encodes the whole file, or throws "read_csv: <path>:<line>:<column>: <problem>".
CsvData read_csv(const std::string& path, const CsvOptions& options);

}  // namespace tg
