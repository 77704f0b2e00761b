// Counting every heap allocation of a benchmark process (linked into train_step and tape_overhead).
//
// Note [Counting heap allocations]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// "Zero allocations per step" is only worth claiming if every allocation is seen, not just tensor
// buffers: a std::string built for an error message that is never thrown, a std::function holding
// a big closure, a std::vector of partial sums, OpenMP's own bookkeeping. alloc_counter.cpp
// replaces malloc, calloc, realloc, aligned_alloc, posix_memalign and memalign of the whole
// process (glibc's documented way to replace malloc: the executable's definitions win over libc's
// for every library) with versions that count and then call glibc's own. operator new,
// std::allocator and libgomp all end in these, so the count covers C and C++ alike.
// heap_counting_works() checks that at start-up (a `new int` must count as one).
//
// Under AddressSanitizer, which replaces malloc itself, the file compiles to a stub that counts
// nothing and heap_counting_works() is false: the programs then print "n/a".
#pragma once

#include <cstdint>

namespace tg::bench {

/// Heap allocations made by this process so far, on every thread.
std::uint64_t heap_allocations();

/// False when allocations cannot be counted (sanitizer builds) or the replacement is not in effect.
bool heap_counting_works();

}  // namespace tg::bench
