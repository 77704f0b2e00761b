// DataLoader: mini-batches of a Dataset, reshuffled every epoch, reproducibly.
//
// Note [Epoch order]
// ~~~~~~~~~~~~~~~~~~
// Epoch e visits the examples in the order randperm(N, Generator(seed, e·N)). Each epoch takes
// its own block of N Philox counters — the same counters one generator would hand out epoch
// after epoch — but the order is a pure function of (seed, e): a run resumed at epoch e
// sees exactly the batches the uninterrupted run saw, with no generator state to checkpoint.
//
// Note [Batch buffers]
// ~~~~~~~~~~~~~~~~~~~~
// A training step should not allocate just to hold its input. next(Batch&) hands out the
// loader's own [batch_size, D] and [batch_size] tensors, refilled in place on every call (the
// last, shorter batch of an epoch is a row view of them); next(Tensor&, Tensor&) refills the
// caller's tensors when their shape already fits. Either way a batch is only valid until the
// next call: copy it (clone) to keep it.
//
// Note [Range-for epochs]
// ~~~~~~~~~~~~~~~~~~~~~~~
// `for (auto [x, y] : loader)` runs one whole epoch, from its first batch, like iterating a
// PyTorch DataLoader: the epoch start_epoch() last chose (epoch 0 for a new loader) if none of
// its batches has been handed out yet, otherwise the next one. So consecutive loops see epochs
// 0, 1, 2, ..., each in its own order (Note [Epoch order]; with shuffle = false every epoch is
// 0, 1, ..., N-1), and start_epoch(e) — PyTorch's sampler.set_epoch(e) — makes the next loop run
// epoch e, e.g. when resuming. A loop left early still counts: the next one starts a new epoch.
// x and y are the loader's buffers (Note [Batch buffers]), so the loop allocates no tensor storage.
#pragma once

#include <cstdint>
#include <iterator>
#include <span>
#include <vector>

#include "datasets/dataset.h"

namespace tg {

struct LoaderOptions {
  std::int64_t batch_size = 128;
  bool shuffle = true;     ///< false: every epoch visits 0, 1, ..., N-1 (for evaluation)
  bool drop_last = false;  ///< skip the final batch when it would be shorter than batch_size
  std::uint64_t seed = 0;
};

struct Batch {
  Tensor x;  ///< features [b, D]
  Tensor y;  ///< labels [b]
};

class DataLoader {
 public:
  /// Keeps a handle on `data` (no copy) and starts epoch 0.
  DataLoader(Dataset data, LoaderOptions options);

  /// Computes epoch e's order (Note [Epoch order]) and rewinds to its first batch.
  void start_epoch(std::int64_t epoch);

  /// The next batch as the loader's own buffers (Note [Batch buffers]); false when the epoch is over.
  bool next(Batch& batch);
  /// Writes the next batch into x and y, allocating only when their shape or dtype doesn't fit;
  /// false when the epoch is over (x and y are then left untouched).
  bool next(Tensor& x, Tensor& y);

  /// Batches per epoch: ⌊N / batch_size⌋ with drop_last, else ⌈N / batch_size⌉.
  std::int64_t num_batches() const;
  std::int64_t epoch() const { return epoch_; }
  /// Batches handed out so far in this epoch.
  std::int64_t batch_index() const { return batch_; }
  /// This epoch's order: order()[k] is the dataset row visited k-th.
  const std::vector<std::int64_t>& order() const { return order_; }
  /// The dataset rows of the most recent batch.
  std::span<const std::int64_t> last_indices() const { return last_; }
  const Dataset& dataset() const { return data_; }
  const LoaderOptions& options() const { return options_; }

  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    explicit Iterator(DataLoader* loader) : loader_(loader) { ++*this; }
    const Batch& operator*() const { return batch_; }
    const Batch* operator->() const { return &batch_; }
    Iterator& operator++() {
      if (!loader_->next(batch_)) loader_ = nullptr;
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return loader_ == nullptr; }

   private:
    DataLoader* loader_ = nullptr;
    Batch batch_;
  };
  struct Range {
    DataLoader* loader;
    Iterator begin() const { return Iterator(loader); }
    std::default_sentinel_t end() const { return {}; }
  };
  /// for (const Batch& b : loader.batches(e)) { ... } — start_epoch(e), then every batch of it.
  Range batches(std::int64_t epoch) {
    start_epoch(epoch);
    return Range{this};
  }
  /// for (auto [x, y] : loader) { ... } — one epoch, the one Note [Range-for epochs] says.
  Iterator begin();
  std::default_sentinel_t end() const { return {}; }

 private:
  // Reserves the next batch's rows; an empty span when the epoch is over.
  std::span<const std::int64_t> take();

  Dataset data_;
  LoaderOptions options_;
  std::int64_t epoch_ = 0;
  std::int64_t batch_ = 0;
  std::vector<std::int64_t> order_;
  std::span<const std::int64_t> last_;
  Tensor x_buffer_, y_buffer_;  // [batch_size, D], [batch_size]
};

}  // namespace tg
