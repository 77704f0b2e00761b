#include "datasets/loader.h"

#include <algorithm>
#include <numeric>

#include "tensor/random.h"

namespace tg {

DataLoader::DataLoader(Dataset data, LoaderOptions options) : data_(std::move(data)), options_(options) {
  check_dataset(data_, "DataLoader");
  check(options_.batch_size > 0, "DataLoader: batch_size is ", options_.batch_size, ", expected at least 1");
  const std::int64_t rows = std::min(options_.batch_size, data_.size());
  x_buffer_ = empty({rows, data_.num_features()}, data_.features.dtype());
  y_buffer_ = empty({rows}, data_.labels.dtype());
  start_epoch(0);
}

void DataLoader::start_epoch(std::int64_t epoch) {
  check(epoch >= 0, "DataLoader::start_epoch: epoch ", epoch, " is negative");
  const std::int64_t n = data_.size();
  if (options_.shuffle) {
    Generator gen(options_.seed, static_cast<std::uint64_t>(epoch) * static_cast<std::uint64_t>(n));
    order_ = randperm(n, gen);
  } else {
    order_.resize(static_cast<std::size_t>(n));
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
  }
  epoch_ = epoch;
  batch_ = 0;
  last_ = {};
}

DataLoader::Iterator DataLoader::begin() {
  start_epoch(batch_ == 0 ? epoch_ : epoch_ + 1);  // Note [Range-for epochs]
  return Iterator(this);
}

std::int64_t DataLoader::num_batches() const {
  const std::int64_t n = data_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : n / b + (n % b != 0);  // not (n + b − 1) / b: that overflows for a huge b
}

std::span<const std::int64_t> DataLoader::take() {
  if (batch_ >= num_batches()) return {};
  const std::int64_t begin = batch_ * options_.batch_size;
  const std::int64_t end = std::min(begin + options_.batch_size, data_.size());
  ++batch_;
  last_ = std::span<const std::int64_t>(order_).subspan(static_cast<std::size_t>(begin),
                                                        static_cast<std::size_t>(end - begin));
  return last_;
}

bool DataLoader::next(Batch& batch) {
  const std::span<const std::int64_t> rows = take();
  if (rows.empty()) return false;
  const auto count = static_cast<std::int64_t>(rows.size());
  const bool full = count == x_buffer_.size(0);
  batch.x = full ? x_buffer_ : x_buffer_.rows(0, count);
  batch.y = full ? y_buffer_ : y_buffer_.rows(0, count);
  gather_rows(data_.features, rows, batch.x);
  gather_rows(data_.labels, rows, batch.y);
  return true;
}

bool DataLoader::next(Tensor& x, Tensor& y) {
  const std::span<const std::int64_t> rows = take();
  if (rows.empty()) return false;
  const auto count = static_cast<std::int64_t>(rows.size());
  const Shape x_shape{count, data_.num_features()}, y_shape{count};
  if (!x.defined() || x.shape() != x_shape || x.dtype() != data_.features.dtype())
    x = empty(x_shape, data_.features.dtype());
  if (!y.defined() || y.shape() != y_shape || y.dtype() != data_.labels.dtype())
    y = empty(y_shape, data_.labels.dtype());
  gather_rows(data_.features, rows, x);
  gather_rows(data_.labels, rows, y);
  return true;
}

}  // namespace tg
