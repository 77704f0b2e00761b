// Dataset: a features matrix and a label vector with one row per example, plus the row
// operations every loader needs (gather, subset, random split).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

/// Which half of a data set with a fixed train/test division to load.
enum class Split { train, test };
inline const char* split_name(Split s) { return s == Split::train ? "train" : "test"; }

/// features: float32 [N, D]; labels: int64 class ids [N] (float targets are accepted too, for
/// regression). Copies of a Dataset share the tensors' storage, like Tensor copies do.
struct Dataset {
  Tensor features;
  Tensor labels;

  std::int64_t size() const { return features.defined() ? features.size(0) : 0; }
  std::int64_t num_features() const { return features.defined() ? features.size(1) : 0; }
};

/// Throws "<op>: features [..] ..., labels [..] ...: <problem>" unless features is 2-D, labels is
/// 1-D and both have the same number of rows.
void check_dataset(const Dataset& data, const char* op);

/// out[i, :] = source[rows[i], :] for a source of any dtype and rank >= 1. `out` must already have
/// rows.size() rows of the same width and dtype; indices are not checked (callers check once).
void gather_rows(const Tensor& source, std::span<const std::int64_t> rows, const Tensor& out);

/// The examples at `indices`, in that order, copied into new tensors.
Dataset subset(const Dataset& data, std::span<const std::int64_t> indices);

/// A random partition: the first n_first examples of randperm(N, Generator(seed)) and the rest.
/// The same (data, n_first, seed) always gives the same two parts.
std::pair<Dataset, Dataset> random_split(const Dataset& data, std::int64_t n_first, std::uint64_t seed);

}  // namespace tg
