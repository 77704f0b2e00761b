// NPZ archives of NPY members, stored or deflated: tensor/npz.h. The raw bytes are the ZIP file
// (no gzip wrapping: a ZIP is not read through the gzip layer).
#include "tensor/npz.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::scratch_path(".npz");
  tg::fuzz::write_file(path, data, size);
  tg::fuzz::expect_error_or_success([&] {
    // Touch every byte returned, so that AddressSanitizer sees a tensor smaller than its shape.
    volatile unsigned char sum = 0;
    for (const auto& [name, t] : tg::load_npz(path)) {
      const auto* bytes = static_cast<const unsigned char*>(t.raw_data());
      for (std::int64_t i = 0; i < t.numel() * static_cast<std::int64_t>(tg::dtype_size(t.dtype())); ++i) sum += bytes[i];
    }
  });
  return 0;
}
