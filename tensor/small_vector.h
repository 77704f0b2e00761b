// SmallVector<T, N>: a vector whose first N elements live inside the object.
//
// A tape record lists its inputs (one to three for every op) and saved tensors (at most two);
// holding them in std::vector would cost two heap allocations per op. Past N elements it moves
// everything to a std::vector and carries on there. T must be default-constructible and cheap
// to default-construct (a Tensor handle is a null pointer).
#pragma once

#include <array>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

namespace tg {

template <class T, std::size_t N>
class SmallVector {
 public:
  SmallVector() = default;
  SmallVector(SmallVector&& other) noexcept
      : inline_(std::move(other.inline_)), heap_(std::move(other.heap_)), size_(std::exchange(other.size_, 0)) {}
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this == &other) return *this;  // moving heap_ into itself would empty it under size_
    inline_ = std::move(other.inline_);
    heap_ = std::move(other.heap_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }

  void push_back(T value) {
    if (heap_.empty() && size_ < N) {
      inline_[size_++] = std::move(value);
      return;
    }
    if (heap_.empty()) {  // spill: from now on every element lives in heap_
      heap_.reserve(2 * N);
      for (T& v : inline_) heap_.push_back(std::exchange(v, T()));
    }
    heap_.push_back(std::move(value));
    ++size_;
  }

 private:
  T* data() { return heap_.empty() ? inline_.data() : heap_.data(); }
  const T* data() const { return heap_.empty() ? inline_.data() : heap_.data(); }

  std::array<T, N> inline_{};
  std::vector<T> heap_;
  std::size_t size_ = 0;
};

}  // namespace tg
