// MetricsLog: a CSV file of results, one row per record() call, rewritten atomically.
//
// The CSV is the source of truth for every plot. Each flush() writes the whole table to a
// temporary file and renames it over the target, so a reader (or a crash) never sees half a row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tg::optim {

class MetricsLog {
 public:
  /// Starts an empty table with these columns; `path` is written on flush().
  MetricsLog(std::string path, std::vector<std::string> columns);

  /// Appends a row; values are in column order (numbers formatted with 9 significant digits).
  void record(const std::vector<std::string>& values);
  /// Writes the table atomically. Called by record() when auto_flush is on (the default).
  void flush() const;
  /// The table as flush() writes it: the header line, then one line per row.
  std::string csv() const;
  /// Replaces the rows with those of `text`, a csv() of a table with the same columns (a resumed
  /// run's rows so far, train/run_state.h); a tg::Error if the header differs. Does not flush.
  void restore(const std::string& text);

  static std::string number(double value);
  bool auto_flush = true;

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tg::optim
