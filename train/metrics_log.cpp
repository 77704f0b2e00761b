#include "train/metrics_log.h"

#include <cstdio>

#include "tensor/atomic_file.h"
#include "tensor/error.h"

namespace tg::optim {

MetricsLog::MetricsLog(std::string path, std::vector<std::string> columns)
    : path_(std::move(path)), columns_(std::move(columns)) {
  check(!columns_.empty(), "MetricsLog: ", path_, ": no columns");
}

void MetricsLog::record(const std::vector<std::string>& values) {
  check(values.size() == columns_.size(), "MetricsLog.record: ", path_, ": ", values.size(), " values for ",
        columns_.size(), " columns");
  rows_.push_back(values);
  if (auto_flush) flush();
}

std::string MetricsLog::number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

void MetricsLog::flush() const { write_file_atomically(path_, csv()); }

std::string MetricsLog::csv() const {
  std::string text;
  auto append_row = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) text += (i ? "," : "") + row[i];
    text += "\n";
  };
  append_row(columns_);
  for (const auto& row : rows_) append_row(row);
  return text;
}

void MetricsLog::restore(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t end = text.find('\n', begin);
    check(end != std::string::npos, "MetricsLog.restore: ", path_, ": the last line has no newline");
    std::vector<std::string> fields;
    for (std::size_t field = begin;;) {
      const std::size_t comma = text.find(',', field);
      if (comma == std::string::npos || comma > end) {
        fields.push_back(text.substr(field, end - field));
        break;
      }
      fields.push_back(text.substr(field, comma - field));
      field = comma + 1;
    }
    check(fields.size() == columns_.size(), "MetricsLog.restore: ", path_, ": a line has ", fields.size(),
          " fields for ", columns_.size(), " columns");
    rows.push_back(std::move(fields));
    begin = end + 1;
  }
  check(!rows.empty() && rows.front() == columns_, "MetricsLog.restore: ", path_,
        ": the saved table's header is not this log's columns");
  rows.erase(rows.begin());
  rows_ = std::move(rows);
}

}  // namespace tg::optim
