// Which instruction set the kernels run with, chosen once at start-up.
//
// Every kernel (GEMM, elementwise, reductions, Philox) is compiled several times, once per
// instruction set, and the widest one this CPU has is used (Note [One source, several
// instruction sets] in tensor/simd.h). The choice is made at the first kernel call:
//   - TG_ISA=sse2|avx2|avx512 in the environment forces one (to reproduce bits across machines);
//     asking for one the build lacks or the CPU cannot run is an error, not a silent fallback;
//   - otherwise the widest compiled instruction set the CPU supports.
// Results are bit-identical for any thread count under each instruction set; between
// instruction sets, reductions and GEMM sum in other orders (wider lanes) and math functions
// round differently, so float results may differ in the last bits (docs/isa.md says which).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tg {

/// The kernel instruction sets. sse2 is the x86-64 baseline every 64-bit x86 CPU has; avx2 means
/// AVX2 + FMA (256-bit); avx512 means AVX-512 F, CD, DQ, BW and VL (512-bit).
enum class Isa : std::uint8_t { sse2, avx2, avx512 };

/// "sse2", "avx2" or "avx512".
const char* isa_name(Isa isa);
/// The instruction set the kernels use; chosen once (see above), then fixed unless set_isa().
Isa active_isa();
/// Forces the kernels onto `isa`; throws tg::Error if this build lacks it or the CPU can't run it.
/// Call it before work starts: a result computed half under one set and half under another is
/// still correct, but not reproducible.
void set_isa(Isa isa);
/// The instruction sets compiled into this build, narrowest first.
std::vector<Isa> compiled_isas();
/// Whether this build has `isa` and this CPU can run it.
bool isa_supported(Isa isa);
/// Parses "sse2", "avx2" or "avx512"; throws tg::Error naming the bad value.
Isa parse_isa(const std::string& name);
/// One line for programs that report figures: "isa: avx512 (compiled: sse2 avx2 avx512; cpu: ...)".
std::string isa_report();

}  // namespace tg
