// MetricsLog: a CSV file of results, one row per record() call, rewritten atomically.
//
// The CSV is the source of truth for every plot. Each flush() writes the whole table to a
// temporary file and renames it over the target, so a reader (or a crash) never sees half a row.
#pragma once

#include <string>
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

  static std::string number(double value);
  bool auto_flush = true;

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tg::optim
