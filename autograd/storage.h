// Storage: one 64-byte-aligned buffer, shared by every tensor that views it.
//
// All tensor memory goes through allocate_bytes/free_bytes, so allocation can be counted
// (allocation_count) and later pooled without touching any op.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

inline constexpr std::size_t kAlignment = 64;

void* allocate_bytes(std::size_t bytes);
void free_bytes(void* p) noexcept;

/// Number of tensor buffers allocated on this process so far (for "allocations per step").
std::uint64_t allocation_count();

class Storage {
 public:
  explicit Storage(std::size_t bytes) : data_(allocate_bytes(bytes)), bytes_(bytes) {}
  ~Storage() { free_bytes(data_); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_;
  std::size_t bytes_;
};

}  // namespace tg
