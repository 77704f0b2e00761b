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

void MetricsLog::flush() const {
  std::string text;
  auto append_row = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) text += (i ? "," : "") + row[i];
    text += "\n";
  };
  append_row(columns_);
  for (const auto& row : rows_) append_row(row);
  write_file_atomically(path_, text);
}

}  // namespace tg::optim
