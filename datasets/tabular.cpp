#include "datasets/tabular.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace tg {
namespace {

// A two-valued nominal attribute becomes one 0/1 column rather than two that mirror each other.
bool binary(const ArffAttribute& a) { return a.type == ArffType::nominal && a.values.size() == 2; }

void check_rows(const ArffData& table, std::span<const std::int64_t> rows, const char* op) {
  for (std::int64_t r : rows)
    check(r >= 0 && r < table.rows, op, ": row index ", r, " is outside the table's ", table.rows, " rows");
}

// The middle value of the training cells, or the mean of the two middle ones.
double median(std::vector<double> values) {
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  return (*std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid)) + upper) / 2;
}

}  // namespace

TabularEncoder::TabularEncoder(const ArffData& table, std::vector<std::int64_t> inputs,
                               std::span<const std::int64_t> train_rows)
    : inputs_(std::move(inputs)) {
  constexpr const char* op = "TabularEncoder";
  check(!train_rows.empty(), op, ": no training rows to fit on");
  check_rows(table, train_rows, op);
  std::vector<bool> taken(table.attributes.size(), false);
  for (std::int64_t a : inputs_) {
    check(a >= 0 && a < table.columns(), op, ": input attribute ", a, " is outside the table's ", table.columns(),
          " attributes");
    check(!taken[a], op, ": input attribute ", a, " ('", table.attributes[a].name, "') is listed twice");
    taken[a] = true;
  }

  for (std::int64_t a : inputs_) {
    const ArffAttribute& attribute = table.attributes[a];
    layout_.push_back(attribute);
    std::vector<double> present;
    for (std::int64_t r : train_rows)
      if (!std::isnan(table.at(r, a))) present.push_back(table.at(r, a));
    if (attribute.type == ArffType::numeric) {
      fill_.push_back(present.empty() ? 0.0 : median(std::move(present)));
      names_.push_back(attribute.name);
      continue;
    }
    std::vector<std::int64_t> counts(attribute.values.size(), 0);
    for (double v : present) {
      check(v >= 0 && v < static_cast<double>(counts.size()), op, ": attribute '", attribute.name, "' holds ", v,
            ", not the index of one of its ", counts.size(), " values");
      ++counts[static_cast<std::size_t>(v)];
    }
    fill_.push_back(static_cast<double>(std::max_element(counts.begin(), counts.end()) - counts.begin()));
    if (binary(attribute)) {
      names_.push_back(attribute.name + "=" + attribute.values.back());
    } else {
      for (const std::string& value : attribute.values) names_.push_back(attribute.name + "=" + value);
    }
  }
  scaler_.fit(encode(table, train_rows, op));
}

Tensor TabularEncoder::transform(const ArffData& table, std::span<const std::int64_t> rows) const {
  constexpr const char* op = "TabularEncoder::transform";
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const std::int64_t a = inputs_[i];
    check(a < table.columns(), op, ": the table has ", table.columns(), " attributes; the encoder reads attribute ", a);
    const ArffAttribute &now = table.attributes[a], &fitted = layout_[i];
    check(now.name == fitted.name && now.type == fitted.type && now.values == fitted.values, op, ": attribute ", a,
          " is '", now.name, "' here but was '", fitted.name, "' (with other values) when the encoder was fitted");
  }
  check_rows(table, rows, op);
  return scaler_.transform(encode(table, rows, op)).to(DType::float32);
}

Tensor TabularEncoder::encode(const ArffData& table, std::span<const std::int64_t> rows, const char* op) const {
  Tensor out = zeros({static_cast<std::int64_t>(rows.size()), num_features()}, DType::float64);
  double* x = out.data<double>();
  for (std::int64_t r : rows) {
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const ArffAttribute& attribute = layout_[i];
      double v = table.at(r, inputs_[i]);
      if (std::isnan(v)) v = fill_[i];
      if (attribute.type == ArffType::numeric) {
        *x++ = v;
      } else if (binary(attribute)) {
        *x++ = v == 1 ? 1.0 : 0.0;
      } else {
        check(v >= 0 && v < static_cast<double>(attribute.values.size()), op, ": row ", r, " of attribute '",
              attribute.name, "' holds ", v, ", not a value index");
        x[static_cast<std::size_t>(v)] = 1.0;
        x += attribute.values.size();
      }
    }
  }
  return out;
}

}  // namespace tg
