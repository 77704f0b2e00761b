// The one Catch2 main, compiled once and linked into every test program.
//
// `--isa sse2|avx2|avx512` runs the program's kernels on that instruction set (tensor/isa.h):
// CTest runs the kernel tests once per instruction set compiled in (tests/CMakeLists.txt). On a
// CPU that lacks the one asked for, the program exits with kSkip, which CTest reports as "not
// run" — never as passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>

#include "tensor/isa.h"

namespace {
constexpr int kSkip = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt
}

int main(int argc, char* argv[]) {
  Catch::Session session;
  std::string isa;
  using namespace Catch::clara;
  session.cli(session.cli() | Opt(isa, "isa")["--isa"]("run the kernels on this instruction set (sse2, avx2, avx512)"));
  if (int status = session.applyCommandLine(argc, argv); status != 0) return status;
  if (!isa.empty()) {
    try {
      const tg::Isa wanted = tg::parse_isa(isa);
      if (!tg::isa_supported(wanted)) {
        std::cout << "skipped: " << isa << " kernels are not compiled in or this CPU cannot run them\n";
        return kSkip;
      }
      tg::set_isa(wanted);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
  }
  return session.run();
}
