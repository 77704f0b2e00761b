// Choosing the kernels' instruction set: compiled for the x86-64 baseline, so it runs anywhere.
#include "tensor/isa.h"

#include <atomic>
#include <cstdlib>

#include "tensor/error.h"

namespace tg {
namespace {

bool cpu_has(Isa isa) {
#if defined(__x86_64__) || defined(_M_X64)
  // __builtin_cpu_supports also checks that the OS saves the wide registers (XGETBV).
  __builtin_cpu_init();
  switch (isa) {
    case Isa::sse2: return true;
    case Isa::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return false;
#else
  return isa == Isa::sse2;  // elsewhere the one baseline pass is xsimd's default architecture
#endif
}

bool compiled(Isa isa) {
  switch (isa) {
    case Isa::sse2: return true;
    case Isa::avx2: return TG_COMPILE_AVX2 != 0;
    case Isa::avx512: return TG_COMPILE_AVX512 != 0;
  }
  return false;
}

Isa widest_supported() {
  for (Isa isa : {Isa::avx512, Isa::avx2})
    if (isa_supported(isa)) return isa;
  return Isa::sse2;
}

Isa initial_isa() {
  const char* forced = std::getenv("TG_ISA");
  if (!forced || !*forced) return widest_supported();
  const Isa isa = parse_isa(forced);
  check(compiled(isa), "TG_ISA=", forced, ": this build of tapegrad has no ", isa_name(isa), " kernels");
  check(cpu_has(isa), "TG_ISA=", forced, ": this CPU cannot run ", isa_name(isa), " instructions");
  return isa;
}

// -1 until the first kernel call chooses; then the Isa's value.
std::atomic<int> g_isa{-1};

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::sse2: return "sse2";
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
  }
  return "?";
}

Isa parse_isa(const std::string& name) {
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512})
    if (name == isa_name(isa)) return isa;
  throw Error(cat("isa: '", name, "' is not an instruction set (expected sse2, avx2 or avx512)"));
}

bool isa_supported(Isa isa) { return compiled(isa) && cpu_has(isa); }

std::vector<Isa> compiled_isas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512})
    if (compiled(isa)) out.push_back(isa);
  return out;
}

Isa active_isa() {
  int isa = g_isa.load(std::memory_order_relaxed);
  if (isa < 0) [[unlikely]] {
    int expected = -1;
    g_isa.compare_exchange_strong(expected, static_cast<int>(initial_isa()));
    isa = g_isa.load();
  }
  return static_cast<Isa>(isa);
}

void set_isa(Isa isa) {
  check(compiled(isa), "set_isa: this build of tapegrad has no ", isa_name(isa), " kernels");
  check(cpu_has(isa), "set_isa: this CPU cannot run ", isa_name(isa), " instructions");
  g_isa.store(static_cast<int>(isa));
}

std::string isa_report() {
  std::string compiled_list, cpu_list;
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    if (compiled(isa)) compiled_list += cat(compiled_list.empty() ? "" : " ", isa_name(isa));
    if (cpu_has(isa)) cpu_list += cat(cpu_list.empty() ? "" : " ", isa_name(isa));
  }
  return cat("isa: ", isa_name(active_isa()), " (compiled: ", compiled_list, "; this cpu: ", cpu_list, ")");
}

}  // namespace tg
