#include "autograd/storage.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace tg {
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}

void* allocate_bytes(std::size_t bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment, and we never hand out null.
  std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded == 0) rounded = kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void free_bytes(void* p) noexcept { std::free(p); }

std::uint64_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace tg
