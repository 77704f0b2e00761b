// See Note [Counting heap allocations] in alloc_counter.h.
#include "bench/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>

#if defined(__SANITIZE_ADDRESS__)

namespace tg::bench {
std::uint64_t heap_allocations() { return 0; }
bool heap_counting_works() { return false; }
}  // namespace tg::bench

#else

namespace {
// constinit: usable before any constructor runs (the loader and libc allocate that early).
constinit std::atomic<std::uint64_t> g_allocations{0};
void count() { g_allocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

// glibc's own allocator entry points, exported for exactly this use.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(std::size_t count_, std::size_t size) {
  count();
  return __libc_calloc(count_, size);
}
void* realloc(void* p, std::size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  count();
  void* p = __libc_memalign(alignment, size);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}  // extern "C"

namespace tg::bench {

std::uint64_t heap_allocations() { return g_allocations.load(std::memory_order_relaxed); }

bool heap_counting_works() {
  const std::uint64_t before = heap_allocations();
  int* volatile p = new int(1);  // volatile: the compiler may not elide the pair
  delete p;
  return heap_allocations() == before + 1;
}

}  // namespace tg::bench

#endif
