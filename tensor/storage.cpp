// The caching allocator of Note [Caching allocator] in storage.h.
#include "tensor/storage.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string_view>

namespace tg {
namespace {

// ---- size classes ----
// A request of u units of 64 bytes is served by class u − 1 up to kExactClasses units, then by
// eight classes per power of two: u in (2^p, 2^(p+1)] rounds up to a multiple of 2^(p−3).
constexpr std::size_t kExactClasses = 16;
constexpr int kClassesPerDoubling = 8;
constexpr int kMaxExponent = 34;  // blocks above 2^34 units (1 TiB) are never cached
constexpr std::size_t kClasses = kExactClasses + (kMaxExponent - 4) * kClassesPerDoubling;
constexpr std::size_t kUncached = kClasses;
/// A thread caches at most this much; further frees go to the global pool.
constexpr std::size_t kThreadCacheBytes = std::size_t{256} << 20;

struct SizeClass {
  std::size_t index;  // kUncached for huge blocks
  std::size_t bytes;  // what a block of this class holds
};

inline SizeClass size_class(std::size_t bytes) {
  const std::size_t units = std::max<std::size_t>(1, (bytes + kAlignment - 1) / kAlignment);
  if (units <= kExactClasses) return {units - 1, units * kAlignment};
  const int p = std::bit_width(units - 1) - 1;  // units in (2^p, 2^(p+1)], p >= 4
  if (p >= kMaxExponent) return {kUncached, units * kAlignment};
  const int shift = p - 3;  // classes are 2^shift units apart
  const std::size_t steps = (units + (std::size_t{1} << shift) - 1) >> shift;  // 9..16
  return {kExactClasses + static_cast<std::size_t>(p - 4) * kClassesPerDoubling + (steps - 9), (steps << shift) * kAlignment};
}

// ---- free lists: the link of a free block is stored in the block itself ----
struct FreeBlock {
  FreeBlock* next;
};

struct FreeLists {
  FreeBlock* head[kClasses] = {};
  std::size_t bytes = 0;

  void* pop(const SizeClass& c) {
    FreeBlock* b = head[c.index];
    if (!b) return nullptr;
    head[c.index] = b->next;
    bytes -= c.bytes;
    return b;
  }
  void push(void* p, const SizeClass& c) {
    head[c.index] = new (p) FreeBlock{head[c.index]};
    bytes += c.bytes;
  }
};

// ---- the system: aligned operator new, so a counting or sanitizing operator new sees it all ----
std::atomic<std::uint64_t> g_system_allocations{0}, g_system_frees{0};

void* system_allocate(std::size_t bytes) {
  void* p = ::operator new(bytes, std::align_val_t{kAlignment}, std::nothrow);
  if (!p) {
    release_cached_memory();  // the caches may hold what the system lacks
    p = ::operator new(bytes, std::align_val_t{kAlignment}, std::nothrow);
  }
  if (!p) throw std::bad_alloc();
  g_system_allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void system_free(void* p) noexcept {
  ::operator delete(p, std::align_val_t{kAlignment});
  g_system_frees.fetch_add(1, std::memory_order_relaxed);
}

// ---- per-thread caches and the global pool ----
// A thread's counters have one writer (the thread) and are read by allocator_stats on others:
// relaxed atomics whose increment is a plain load and store, no locked instruction.
struct Counter {
  std::atomic<std::uint64_t> value{0};
  void bump() { add(1); }
  void add(std::uint64_t n) { value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t get() const { return value.load(std::memory_order_relaxed); }
};

enum class CacheState : std::uint8_t { unused, live, dead };

struct ThreadCache {
  FreeLists lists;
  Counter requests, hits;
  Counter requested_bytes, freed_bytes;  // of tensor buffers; a buffer may be freed by another thread
  CacheState state = CacheState::unused;
  ThreadCache* next = nullptr;  // in GlobalPool::live, under its mutex
  ThreadCache* prev = nullptr;
};

// constinit and trivially destructible: usable from any destructor, even during exit.
struct GlobalPool {
  std::mutex mutex;
  FreeLists lists;
  ThreadCache* live = nullptr;  // every thread cache in use, for allocator_stats
  std::uint64_t requests = 0, hits = 0;  // of exited threads, and of requests made after exit began
  std::uint64_t requested_bytes = 0, freed_bytes = 0;
};
constinit GlobalPool g_pool;
constinit thread_local ThreadCache t_cache;

// Its destructor runs at thread exit and hands the thread's blocks and counts to the pool.
struct ThreadCacheReaper {
  ~ThreadCacheReaper() {
    ThreadCache& c = t_cache;
    std::lock_guard lock(g_pool.mutex);
    for (std::size_t i = 0; i < kClasses; ++i) {
      while (FreeBlock* b = c.lists.head[i]) {
        c.lists.head[i] = b->next;
        b->next = g_pool.lists.head[i];
        g_pool.lists.head[i] = b;
      }
    }
    g_pool.lists.bytes += c.lists.bytes;
    c.lists.bytes = 0;
    g_pool.requests += c.requests.get();
    g_pool.hits += c.hits.get();
    g_pool.requested_bytes += c.requested_bytes.get();
    g_pool.freed_bytes += c.freed_bytes.get();
    (c.prev ? c.prev->next : g_pool.live) = c.next;
    if (c.next) c.next->prev = c.prev;
    c.state = CacheState::dead;
  }
};
thread_local ThreadCacheReaper t_reaper;

/// This thread's cache, or null once the thread has begun to exit.
ThreadCache* thread_cache() {
  ThreadCache& c = t_cache;
  if (c.state == CacheState::live) [[likely]] return &c;
  if (c.state == CacheState::dead) return nullptr;
  [[maybe_unused]] ThreadCacheReaper* reaper = &t_reaper;  // first use: registers the destructor
  std::lock_guard lock(g_pool.mutex);
  c.next = g_pool.live;
  if (c.next) c.next->prev = &c;
  g_pool.live = &c;
  c.state = CacheState::live;
  return &c;
}

void free_all(FreeLists& lists) {
  for (FreeBlock*& head : lists.head) {
    while (FreeBlock* b = head) {
      head = b->next;
      system_free(b);
    }
  }
  lists.bytes = 0;
}

}  // namespace

bool caching_allocator_enabled() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#else
  static const bool enabled = [] {
    const char* v = std::getenv("TG_NO_CACHING_ALLOCATOR");
    return v == nullptr || *v == '\0' || std::string_view(v) == "0";
  }();
  return enabled;
#endif
}

namespace detail {

void* cached_allocate(std::size_t bytes) {
  if (!caching_allocator_enabled()) return system_allocate(std::max<std::size_t>(bytes, 1));
  const SizeClass c = size_class(bytes);
  if (c.index == kUncached) return system_allocate(c.bytes);
  ThreadCache* cache = thread_cache();
  if (cache) {
    if (void* p = cache->lists.pop(c)) {
      cache->hits.bump();
      return p;
    }
  }
  {
    std::lock_guard lock(g_pool.mutex);
    if (void* p = g_pool.lists.pop(c)) {
      if (cache) cache->hits.bump();
      else ++g_pool.hits;
      return p;
    }
  }
  return system_allocate(c.bytes);
}

void cached_free(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  if (!caching_allocator_enabled()) return system_free(p);
  const SizeClass c = size_class(bytes);
  if (c.index == kUncached) return system_free(p);
  ThreadCache* cache = thread_cache();
  if (cache && cache->lists.bytes + c.bytes <= kThreadCacheBytes) return cache->lists.push(p, c);
  std::lock_guard lock(g_pool.mutex);
  g_pool.lists.push(p, c);
}

}  // namespace detail

void* allocate_bytes(std::size_t bytes) {
  void* p = detail::cached_allocate(bytes);
  if (ThreadCache* cache = thread_cache()) {
    cache->requests.bump();
    cache->requested_bytes.add(bytes);
  } else {
    std::lock_guard lock(g_pool.mutex);
    ++g_pool.requests;
    g_pool.requested_bytes += bytes;
  }
  return p;
}

void free_bytes(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  if (ThreadCache* cache = thread_cache()) {
    cache->freed_bytes.add(bytes);
  } else {
    std::lock_guard lock(g_pool.mutex);
    g_pool.freed_bytes += bytes;
  }
  detail::cached_free(p, bytes);
}

AllocatorStats allocator_stats() {
  AllocatorStats s;
  const ThreadCache* mine = thread_cache();
  std::lock_guard lock(g_pool.mutex);
  s.requests = g_pool.requests;
  s.cache_hits = g_pool.hits;
  std::uint64_t requested = g_pool.requested_bytes, freed = g_pool.freed_bytes;
  for (const ThreadCache* c = g_pool.live; c; c = c->next) {
    s.requests += c->requests.get();
    s.cache_hits += c->hits.get();
    requested += c->requested_bytes.get();
    freed += c->freed_bytes.get();
  }
  s.bytes_in_use = static_cast<std::size_t>(requested - freed);
  s.system_allocations = g_system_allocations.load(std::memory_order_relaxed);
  s.system_frees = g_system_frees.load(std::memory_order_relaxed);
  s.cached_bytes = g_pool.lists.bytes + (mine ? mine->lists.bytes : 0);
  return s;
}

std::uint64_t allocation_count() { return allocator_stats().requests; }

void release_cached_memory() {
  if (ThreadCache* cache = thread_cache()) free_all(cache->lists);
  std::lock_guard lock(g_pool.mutex);
  free_all(g_pool.lists);
}

}  // namespace tg
