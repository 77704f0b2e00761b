// Refuses to run an AVX2 build on a CPU without AVX2/FMA, with a message instead of SIGILL.
// This file is compiled without -mavx2 (see CMakeLists.txt) and linked into every program.
#include <cstdio>
#include <cstdlib>

namespace {
__attribute__((constructor(101))) void tapegrad_require_avx2() {
#if defined(TG_REQUIRE_AVX2)
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    std::fputs("tapegrad: this build uses AVX2 and FMA instructions, which this CPU does not have.\n"
               "Rebuild with: cmake -DTG_AVX2=OFF ...\n",
               stderr);
    std::_Exit(1);
  }
#endif
}
}  // namespace
