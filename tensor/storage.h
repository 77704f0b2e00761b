// Storage: one 64-byte-aligned buffer, shared by every tensor that views it, and the caching
// allocator every tensor buffer (and every TensorImpl and Storage object) comes from.
//
// Note [Caching allocator]
// ~~~~~~~~~~~~~~~~~~~~~~~~
// A training step frees and then re-requests the same buffers every time: activations,
// gradients, the records' bookkeeping. Going to malloc for each costs a system call and fresh
// page faults for big blocks (glibc mmaps them) and lock traffic for small ones. So freed blocks
// are kept for reuse instead:
//   - Sizes are rounded up to a size class: multiples of 64 bytes up to 1 KiB, then eight classes
//     per power of two (so at most 12.5% is wasted). A block is only reused for its own class.
//   - Each thread keeps its freed blocks in lock-free per-class lists, up to kThreadCacheBytes;
//     beyond that, and when a thread exits, blocks go to one global pool behind a mutex, from
//     which any thread can take them. The list links live inside the free blocks themselves, so
//     the cache never allocates. A block may be freed by another thread than the one that
//     allocated it: it then joins the freeing thread's cache.
//   - Only a miss in both allocates from the system (aligned operator new); cached blocks are
//     returned by release_cached_memory(), and when the system refuses a request, once, before
//     std::bad_alloc is thrown.
//   - allocator_stats() counts requests, cache hits and system allocations, so "no allocation
//     per step" can be checked (bench/train_step prints them).
// Memory that a cache holds is not freed until release_cached_memory(), as in PyTorch's CUDA
// allocator: the peak of a loop stays the peak of its first iteration, rounded up by the classes.
// Set TG_NO_CACHING_ALLOCATOR=1 (read once, at the first allocation) to send every request to
// the system with its exact size: AddressSanitizer then sees every use after free and every
// overflow, which a cache would hide. Builds with -fsanitize=address do that by default.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace tg {

inline constexpr std::size_t kAlignment = 64;

/// A tensor buffer of at least `bytes` bytes, 64-byte aligned, from the caching allocator.
void* allocate_bytes(std::size_t bytes);
/// Returns a buffer from allocate_bytes; `bytes` is the size that was requested.
void free_bytes(void* p, std::size_t bytes) noexcept;

/// Number of tensor buffers requested so far (cache hits included), on threads counted as by
/// allocator_stats: the figure behind "allocations per step".
std::uint64_t allocation_count();

struct AllocatorStats {
  std::uint64_t requests = 0;            ///< tensor buffers requested (allocate_bytes)
  std::uint64_t cache_hits = 0;          ///< blocks of any kind served from a cache
  std::uint64_t system_allocations = 0;  ///< blocks taken from the system (cache misses)
  std::uint64_t system_frees = 0;        ///< blocks given back to the system
  std::size_t cached_bytes = 0;          ///< held in this thread's cache and the global pool
  std::size_t bytes_in_use = 0;          ///< requested by tensor buffers that are still alive
};
/// Counters summed over every live thread and every thread that has exited.
AllocatorStats allocator_stats();

/// Frees every block cached by this thread and the global pool. Other threads keep theirs
/// (their lists are lock-free) until they exit or call this themselves.
void release_cached_memory();

/// False when TG_NO_CACHING_ALLOCATOR=1 or in an AddressSanitizer build.
bool caching_allocator_enabled();

namespace detail {
/// The caching allocator itself, for any block (tensor buffers and the objects of PoolAllocator).
void* cached_allocate(std::size_t bytes);
void cached_free(void* p, std::size_t bytes) noexcept;
}  // namespace detail

/// A std allocator drawing from the caching allocator, so std::allocate_shared puts TensorImpl
/// and Storage objects (with their reference counts) in recycled blocks.
template <class T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(detail::cached_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { detail::cached_free(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const PoolAllocator<U>&) const { return true; }
};

class Storage {
 public:
  explicit Storage(std::size_t bytes) : data_(allocate_bytes(bytes)), bytes_(bytes) {}
  ~Storage() { free_bytes(data_, bytes_); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* data_;
  std::size_t bytes_;
};

}  // namespace tg
