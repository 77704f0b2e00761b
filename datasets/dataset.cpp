#include "datasets/dataset.h"

#include <cstring>

#include "tensor/random.h"

namespace tg {

void check_dataset(const Dataset& data, const char* op) {
  const Tensor& x = data.features;
  const Tensor& y = data.labels;
  check(x.defined() && y.defined(), op, ": features ", describe(x), ", labels ", describe(y), ": both must be defined");
  check(x.dim() == 2 && y.dim() == 1 && x.size(0) == y.size(0), op, ": features ", describe(x), ", labels ",
        describe(y), ": expected features [N, D] and labels [N] with the same N");
}

void gather_rows(const Tensor& source, std::span<const std::int64_t> rows, const Tensor& out) {
  const std::int64_t n = source.numel() ? source.size(0) : 0;
  const std::size_t row_bytes = n ? static_cast<std::size_t>(source.numel() / n) * dtype_size(source.dtype()) : 0;
  const auto* src = static_cast<const char*>(source.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::memcpy(dst + i * row_bytes, src + static_cast<std::size_t>(rows[i]) * row_bytes, row_bytes);
}

Dataset subset(const Dataset& data, std::span<const std::int64_t> indices) {
  check_dataset(data, "subset");
  const std::int64_t n = data.size();
  for (std::size_t i = 0; i < indices.size(); ++i)
    check(indices[i] >= 0 && indices[i] < n, "subset: index ", indices[i], " (position ", i,
          ") is out of range for a dataset of ", n, " examples");
  const auto count = static_cast<std::int64_t>(indices.size());
  Dataset out{empty({count, data.num_features()}, data.features.dtype()), empty({count}, data.labels.dtype())};
  gather_rows(data.features, indices, out.features);
  gather_rows(data.labels, indices, out.labels);
  return out;
}

std::pair<Dataset, Dataset> random_split(const Dataset& data, std::int64_t n_first, std::uint64_t seed) {
  check_dataset(data, "random_split");
  check(n_first >= 0 && n_first <= data.size(), "random_split: cannot take ", n_first, " of ", data.size(),
        " examples");
  Generator gen(seed);
  const std::vector<std::int64_t> order = randperm(data.size(), gen);
  const std::span<const std::int64_t> all(order);
  return {subset(data, all.first(static_cast<std::size_t>(n_first))),
          subset(data, all.subspan(static_cast<std::size_t>(n_first)))};
}

}  // namespace tg
