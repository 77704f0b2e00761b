// A CIFAR-10 binary batch (3073-byte records), plain and gzip: datasets/cifar10.h.
#include "datasets/cifar10.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::input_file(data, size);
  tg::fuzz::expect_error_or_success([&] { tg::read_cifar10_batch(path); });
  tg::fuzz::expect_error_or_success([&] { tg::read_cifar10_batch(path, tg::PixelScale::raw, 3); });
  return 0;
}
