// TabularEncoder: typed table rows (ArffData) to network inputs, learned from the training part only.
//
//   missing  : a numeric attribute's missing cells get the median of its training rows, a nominal
//              one's the mode (ties go to the first declared value). An attribute with no value at
//              all in the training rows gets 0, or its first declared value.
//   nominal  : one-hot over the declared values (so every fold has the same columns, "name=value");
//              a two-valued attribute becomes one 0/1 column, 1 meaning its second value ("name=value")
//   numeric  : the number itself
//   scaling  : every column then standardised by a StandardScaler fitted on the training rows.
//
// Nothing is learned from rows outside the training part: the benchmark builds one encoder per
// fold from that fold's training indices, then encodes its validation and test rows with it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "datasets/arff.h"
#include "datasets/scaler.h"
#include "tensor/tensor.h"

namespace tg {

class TabularEncoder {
 public:
  /// Learns fill values, the column layout and the scaler from `train_rows` of `table`, for the
  /// attributes `inputs` (positions in table.attributes, e.g. all but the class).
  TabularEncoder(const ArffData& table, std::vector<std::int64_t> inputs, std::span<const std::int64_t> train_rows);

  /// Encoded, standardised float32 features [rows.size(), num_features()] of `rows` of a table
  /// with the attributes the encoder was fitted on.
  Tensor transform(const ArffData& table, std::span<const std::int64_t> rows) const;

  std::int64_t num_features() const { return static_cast<std::int64_t>(names_.size()); }
  /// One name per column: "age", "colour=red", ...
  const std::vector<std::string>& feature_names() const { return names_; }
  /// The value a missing cell of inputs()[i] gets: a number, or a nominal value's index.
  const std::vector<double>& fill_values() const { return fill_; }
  const std::vector<std::int64_t>& inputs() const { return inputs_; }
  const StandardScaler& scaler() const { return scaler_; }

 private:
  Tensor encode(const ArffData& table, std::span<const std::int64_t> rows, const char* op) const;

  std::vector<std::int64_t> inputs_;
  std::vector<ArffAttribute> layout_;  // the fitted table's input attributes, to check later tables against
  std::vector<double> fill_;
  std::vector<std::string> names_;
  StandardScaler scaler_;
};

}  // namespace tg
