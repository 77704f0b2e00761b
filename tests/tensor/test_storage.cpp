// The caching allocator (Note [Caching allocator]) and the allocation-free record parts
// (Note [Recording without allocating]): InlineFunction, SmallVector.
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "tensor/inline_function.h"
#include "tensor/small_vector.h"
#include "autograd/tape.h"
#include "ops/ops.h"
#include "support.h"

using namespace tg;

namespace {
// With TG_NO_CACHING_ALLOCATOR=1 or under a sanitizer there is no cache to test.
void skip_uncached() { WARN("the caching allocator is off: nothing cached to test"); }
}  // namespace

TEST_CASE("tensor buffers are 64-byte aligned at every size") {
  for (std::int64_t n : {0, 1, 7, 16, 17, 255, 1000, 4097, 100000}) {
    Tensor t = empty({n});
    CHECK(reinterpret_cast<std::uintptr_t>(t.raw_data()) % kAlignment == 0);
  }
}

TEST_CASE("a freed block is reused for the next request of its size class") {
  if (!caching_allocator_enabled()) return skip_uncached();
  release_cached_memory();
  void* first = allocate_bytes(5000);
  free_bytes(first, 5000);
  const AllocatorStats before = allocator_stats();
  CHECK(before.cached_bytes >= 5000);
  void* again = allocate_bytes(4990);  // another size in the same class
  CHECK(again == first);
  const AllocatorStats after = allocator_stats();
  CHECK(after.system_allocations == before.system_allocations);
  CHECK(after.cache_hits == before.cache_hits + 1);
  CHECK(after.requests == before.requests + 1);
  free_bytes(again, 4990);

  void* other = allocate_bytes(50000);  // another class: not the cached block
  CHECK(other != first);
  free_bytes(other, 50000);
}

TEST_CASE("release_cached_memory gives every cached block back to the system") {
  if (!caching_allocator_enabled()) return skip_uncached();
  { Tensor a = empty({1000}), b = empty({3000}); }
  REQUIRE(allocator_stats().cached_bytes > 0);
  const std::uint64_t frees = allocator_stats().system_frees;
  release_cached_memory();
  CHECK(allocator_stats().cached_bytes == 0);
  CHECK(allocator_stats().system_frees >= frees + 2);
}

TEST_CASE("a training loop takes no new block from the system after its first iteration") {
  Generator gen(3);
  Tensor w = randn({32, 16}, gen).requires_grad(true), b = zeros({32}).requires_grad(true);
  Tensor x = randn({8, 16}, gen);
  Tensor targets = labels({0, 1, 2, 3, 4, 5, 6, 7});
  auto step = [&] {
    w.zero_grad();
    b.zero_grad();
    Tensor loss = cross_entropy(selu(linear(x, w, b)), targets);
    backward(loss);
  };
  step();
  const std::uint64_t system = allocator_stats().system_allocations;
  const std::uint64_t requests = allocation_count();
  for (int i = 0; i < 5; ++i) step();
  CHECK(allocation_count() > requests);  // the loop does request buffers...
  if (caching_allocator_enabled()) CHECK(allocator_stats().system_allocations == system);  // ...all from the cache
}

TEST_CASE("blocks cached by a thread that exits go to the pool and are reused elsewhere") {
  if (!caching_allocator_enabled()) return skip_uncached();
  release_cached_memory();
  void* p = allocate_bytes(123456);
  std::thread([p] { free_bytes(p, 123456); }).join();  // freed into the other thread's cache, pooled at its exit
  void* q = allocate_bytes(123456);
  CHECK(q == p);
  free_bytes(q, 123456);
}

TEST_CASE("a gradient that is shared elsewhere is copied, not adopted") {
  Tensor x = tensor({1, 2, 3}).requires_grad(true);
  Tensor g = tensor({10, 20, 30});
  accumulate_grad(x, g);  // g is still held here: x's gradient must be its own copy
  accumulate_grad(x, g);
  CHECK(x.grad().to_vector() == std::vector<double>{20, 40, 60});
  CHECK(g.to_vector() == std::vector<double>{10, 20, 30});
}

TEST_CASE("a temporary gradient nothing else holds is adopted without a copy") {
  Tensor x = tensor({1, 2, 3}).requires_grad(true);
  Tensor g = tensor({10, 20, 30});
  const void* data = g.raw_data();
  accumulate_grad(x, std::move(g));
  CHECK(x.grad().raw_data() == data);
  Tensor shared = tensor({1, 1, 1}), view = shared.reshape({3});  // same storage: must be copied
  Tensor y = tensor({1, 2, 3}).requires_grad(true);
  accumulate_grad(y, std::move(view));
  CHECK(y.grad().raw_data() != shared.raw_data());
}

TEST_CASE("InlineFunction calls, moves and destroys its callable exactly once") {
  auto counter = std::make_shared<int>(0);
  {
    InlineFunction<int(int), 96> f = [counter](int k) { return ++*counter + k; };
    CHECK(counter.use_count() == 2);
    InlineFunction<int(int), 96> g = std::move(f);
    CHECK(!f);
    CHECK(counter.use_count() == 2);
    CHECK(g(10) == 11);
    CHECK(g(10) == 12);
  }
  CHECK(counter.use_count() == 1);

  struct Big {  // larger than the buffer: kept on the heap, same behaviour
    std::shared_ptr<int> counter;
    char padding[200] = {};
    int operator()(int k) const { return *counter + k; }
  };
  InlineFunction<int(int), 96> h = Big{counter};
  InlineFunction<int(int), 96> moved;
  moved = std::move(h);
  CHECK(moved(1) == 3);
  CHECK(counter.use_count() == 2);
  moved = InlineFunction<int(int), 96>();
  CHECK(counter.use_count() == 1);
}

TEST_CASE("SmallVector keeps order past its inline capacity and empties on move") {
  SmallVector<Tensor, 2> v;
  for (int i = 0; i < 5; ++i) v.push_back(full({1}, i));
  REQUIRE(v.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(v[i].item() == i);
  CHECK(v.back().item() == 4);
  SmallVector<Tensor, 2> w = std::move(v);
  CHECK(v.empty());
  CHECK(w.size() == 5);
  double total = 0;
  for (const Tensor& t : w) total += t.item();
  CHECK(total == 10);
}

TEST_CASE("InlineFunction drops a callable's result when it returns void, as std::function does") {
  int calls = 0;
  InlineFunction<void(int), 96> f = [&calls](int k) { return calls += k; };  // returns int
  f(2);
  f(3);
  CHECK(calls == 5);
}
