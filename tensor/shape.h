// Shape: the extents of an N-dimensional, row-major tensor, stored inline (no heap allocation).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>

#include "tensor/error.h"

namespace tg {

class Shape {
 public:
  static constexpr int kMaxDims = 8;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}
  explicit Shape(std::span<const std::int64_t> dims) {
    check(dims.size() <= kMaxDims, "Shape: ", dims.size(), " dimensions, at most ", kMaxDims, " are supported");
    for (std::int64_t d : dims) check(d >= 0, "Shape: negative extent ", d);
    std::copy(dims.begin(), dims.end(), dims_);
    ndim_ = static_cast<int>(dims.size());
  }

  int dim() const { return ndim_; }
  std::int64_t operator[](int i) const { return dims_[i]; }
  std::int64_t& operator[](int i) { return dims_[i]; }
  const std::int64_t* begin() const { return dims_; }
  const std::int64_t* end() const { return dims_ + ndim_; }

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < ndim_; ++i) n *= dims_[i];
    return n;
  }

  /// Extent of axis `i`, where negative i counts from the end (-1 is the last axis).
  std::int64_t size(int i) const { return dims_[normalize_axis(i)]; }

  /// Maps a possibly negative axis to [0, dim()); throws when out of range.
  int normalize_axis(int axis) const {
    int a = axis < 0 ? axis + ndim_ : axis;
    check(a >= 0 && a < ndim_, "axis ", axis, " is out of range for a tensor with ", ndim_, " dimensions");
    return a;
  }

  void push_back(std::int64_t d) {
    check(ndim_ < kMaxDims, "Shape: more than ", kMaxDims, " dimensions");
    dims_[ndim_++] = d;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.ndim_ == b.ndim_ && std::equal(a.begin(), a.end(), b.begin());
  }

  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < ndim_; ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "]";
  }
  friend std::ostream& operator<<(std::ostream& out, const Shape& s) { return out << s.str(); }

 private:
  std::int64_t dims_[kMaxDims] = {};
  int ndim_ = 0;
};

}  // namespace tg
