// Dataset: a features matrix and a label vector with one row per example, plus the row
// operations every loader needs (gather, subset, random split) and the stratified splits that
// model selection needs (train/test, k-fold).
//
// Note [Stratified splits]
// ~~~~~~~~~~~~~~~~~~~~~~~~
// A stratified split keeps each class's share of the examples in every part. Both splits below
// start from one permutation, randperm(N, Generator(seed)), and list each class's rows in the
// order it visits them — so the parts are a pure function of (labels, seed, the split's size), on
// any machine and thread count, and the class-c rows a part takes are a uniformly random choice.
//   train/test: the test part has n_test = round(f·N) rows. Class c contributes ⌊f·n_c⌋ of its
//               rows, and the n_test − Σ⌊f·n_c⌋ rows still missing come one each from the classes
//               with the largest remainders f·n_c − ⌊f·n_c⌋ (ties: the lower class id), so every
//               class is within one row of its exact share f·n_c.
//   k-fold:     the classes' lists are laid end to end (class 0 first) and the j-th row of that
//               list goes to test fold j mod k. So class c has ⌊n_c/k⌋ or ⌈n_c/k⌉ rows in every
//               test fold, fold sizes differ by at most one, and every row is in exactly one test
//               fold. A class with fewer than k rows is simply missing from some folds.
// Index lists come back in increasing order; subset(data, indices) turns them into data.
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

/// The rows of one train/test division, each list in increasing order.
struct SplitIndices {
  std::vector<std::int64_t> train, test;
};

/// A stratified train/test split of int64 class labels [N] (values ≥ 0): the test part holds
/// round(test_fraction·N) rows, each class within one row of its share (Note [Stratified splits]).
/// 0 < test_fraction < 1, and both parts must be non-empty.
SplitIndices stratified_split_indices(const Tensor& labels, double test_fraction, std::uint64_t seed);
/// The same split of a dataset: {train part, test part}.
std::pair<Dataset, Dataset> stratified_split(const Dataset& data, double test_fraction, std::uint64_t seed);
/// k stratified folds (2 ≤ k ≤ N): fold i tests on its `test` rows and trains on all the others;
/// every row is in exactly one test part (Note [Stratified splits]).
std::vector<SplitIndices> stratified_kfold(const Tensor& labels, std::int64_t k, std::uint64_t seed);

/// A random partition: the first n_first examples of randperm(N, Generator(seed)) and the rest.
/// The same (data, n_first, seed) always gives the same two parts.
std::pair<Dataset, Dataset> random_split(const Dataset& data, std::int64_t n_first, std::uint64_t seed);

}  // namespace tg
