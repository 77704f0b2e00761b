// Choosing the kernels' instruction set (tensor/isa.h, docs/isa.md).
#include <cstring>

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "support.h"
#include "tensor/isa.h"

using namespace tg;

namespace {
// Restores the instruction set the test program started with.
struct IsaGuard {
  Isa saved = active_isa();
  ~IsaGuard() { set_isa(saved); }
};
}  // namespace

TEST_CASE("isa names parse back, and a bad name is an error naming it") {
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) CHECK(parse_isa(isa_name(isa)) == isa);
  CHECK_THROWS_WITH(parse_isa("avx9"), Catch::Contains("'avx9'") && Catch::Contains("sse2, avx2 or avx512"));
}

TEST_CASE("the active instruction set is compiled in and supported, and the report names it") {
  CHECK(isa_supported(Isa::sse2));
  CHECK(isa_supported(active_isa()));
  const std::vector<Isa> compiled = compiled_isas();
  CHECK(std::find(compiled.begin(), compiled.end(), active_isa()) != compiled.end());
  CHECK_THAT(isa_report(), Catch::StartsWith(std::string("isa: ") + isa_name(active_isa())));
}

TEST_CASE("set_isa refuses a set the CPU cannot run or the build lacks") {
  IsaGuard guard;
  for (Isa isa : {Isa::sse2, Isa::avx2, Isa::avx512}) {
    if (isa_supported(isa)) {
      set_isa(isa);
      CHECK(active_isa() == isa);
    } else {
      CHECK_THROWS_WITH(set_isa(isa), Catch::StartsWith("set_isa") && Catch::Contains(isa_name(isa)));
    }
  }
}

TEST_CASE("GEMM and elementwise math give the same bits under avx2 and avx512 (docs/isa.md)") {
  if (!isa_supported(Isa::avx2) || !isa_supported(Isa::avx512)) {
    WARN("not run: this CPU or build lacks avx2 or avx512");
    return;
  }
  IsaGuard guard;
  const Tensor a = test::random_tensor({37, 300}, DType::float32, 1), b = test::random_tensor({300, 45}, DType::float32, 2);
  const Tensor x = test::random_tensor({5003}, DType::float32, 3);
  auto run = [&](Isa isa) {
    set_isa(isa);
    return std::vector<Tensor>{matmul(a, b), exp(x), selu(x), tanh(x)};
  };
  const std::vector<Tensor> wide = run(Isa::avx512), narrow = run(Isa::avx2);
  CHECK(test::bit_difference(wide, narrow) == "");
}
