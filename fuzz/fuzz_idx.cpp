// IDX images and labels (MNIST, Fashion-MNIST), plain and gzip: datasets/idx.h.
#include "datasets/idx.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::input_file(data, size);
  tg::fuzz::expect_error_or_success([&] { tg::read_idx_images(path); });
  tg::fuzz::expect_error_or_success([&] { tg::read_idx_images(path, tg::PixelScale::raw); });
  tg::fuzz::expect_error_or_success([&] { tg::read_idx_labels(path); });
  return 0;
}
