#include "datasets/cifar10.h"
#include "support.h"

using namespace tg;
using test::Bytes;
using test::TempDir;

namespace {

constexpr std::int64_t kRecord = 1 + kCifar10Pixels;

std::uint8_t pixel(std::int64_t image, std::int64_t p) {
  return static_cast<std::uint8_t>((image * 131 + p * 7) % 256);
}

// Records for images first..first+labels.size()-1; image k's pixels are pixel(k, ·).
Bytes records(const std::vector<std::uint8_t>& labels, std::int64_t first = 0) {
  Bytes b;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    b.push_back(labels[i]);
    for (std::int64_t p = 0; p < kCifar10Pixels; ++p) b.push_back(pixel(first + static_cast<std::int64_t>(i), p));
  }
  return b;
}

void check_pixels(const Tensor& x, std::int64_t first, double factor) {
  REQUIRE(x.dtype() == DType::float32);
  REQUIRE(x.size(1) == kCifar10Pixels);
  const float* v = x.data<float>();
  for (std::int64_t i = 0; i < x.size(0); ++i)
    for (std::int64_t p = 0; p < kCifar10Pixels; ++p)
      REQUIRE(v[i * kCifar10Pixels + p] == Approx(pixel(first + i, p) * factor).epsilon(1e-7));
}

}  // namespace

TEST_CASE("a CIFAR-10 batch reads labels and channel-major pixels, scaled or raw") {
  TempDir dir;
  test::write_bytes(dir / "b.bin", records({3, 0, 9}));
  Dataset d = read_cifar10_batch(dir / "b.bin");
  REQUIRE(d.features.shape() == Shape{3, 3072});
  CHECK(d.labels.to_vector() == std::vector<double>{3, 0, 9});
  check_pixels(d.features, 0, 1.0 / 255);
  check_pixels(read_cifar10_batch(dir / "b.bin", PixelScale::raw).features, 0, 1.0);
}

TEST_CASE("load_cifar10_folder concatenates data_batch_1..5 in order, and reads test_batch") {
  TempDir dir;
  for (int b = 1; b <= 5; ++b)
    test::write_bytes(dir / cat("data_batch_", b, ".bin"),
                      records({std::uint8_t(b), std::uint8_t(b + 1)}, 2 * (b - 1)));
  test::write_bytes(dir / "test_batch.bin", records({7}, 100));
  Dataset train = load_cifar10_folder(dir.str(), Split::train);
  REQUIRE(train.size() == 10);
  CHECK(train.labels.to_vector() == std::vector<double>{1, 2, 2, 3, 3, 4, 4, 5, 5, 6});
  check_pixels(train.features, 0, 1.0 / 255);
  Dataset test = load_cifar10_folder(dir.str(), Split::test);
  CHECK(test.labels.to_vector() == std::vector<double>{7});
  check_pixels(test.features, 100, 1.0 / 255);
}

TEST_CASE("CIFAR-10 errors name the file, the record and its byte offset, and the problem") {
  TempDir dir;
  SECTION("label out of range; the class count is a parameter") {
    test::write_bytes(dir / "b.bin", records({1, 11, 2}));
    CHECK_THAT(test::error_of([&] { read_cifar10_batch(dir / "b.bin"); }),
               Catch::Contains("read_cifar10_batch") && Catch::Contains(dir / "b.bin") && Catch::Contains("record 1") &&
                   Catch::Contains(cat("byte ", kRecord)) && Catch::Contains("label 11") &&
                   Catch::Contains("10 classes"));
    CHECK(read_cifar10_batch(dir / "b.bin", PixelScale::unit, 12).labels.to_vector() == std::vector<double>{1, 11, 2});
  }
  SECTION("a truncated last record") {
    Bytes b = records({1, 2, 3});
    b.resize(b.size() - 100);
    test::write_bytes(dir / "cut.bin", b);
    CHECK_THAT(test::error_of([&] { read_cifar10_batch(dir / "cut.bin"); }),
               Catch::Contains(dir / "cut.bin") && Catch::Contains("truncated at byte 9119") &&
                   Catch::Contains("3073 bytes of record 2 from byte 6146") && Catch::Contains("ends after 2973"));
  }
  SECTION("an empty file") {
    test::write_bytes(dir / "empty.bin", {});
    CHECK_THAT(test::error_of([&] { read_cifar10_batch(dir / "empty.bin"); }),
               Catch::Contains(dir / "empty.bin") && Catch::Contains("no records"));
  }
  SECTION("a missing file") {
    CHECK_THAT(test::error_of([&] { read_cifar10_batch(dir / "none.bin"); }),
               Catch::Contains(dir / "none.bin") && Catch::Contains("cannot open"));
    for (int b : {1, 2, 4, 5}) test::write_bytes(dir / cat("data_batch_", b, ".bin"), records({0}));
    CHECK_THAT(test::error_of([&] { load_cifar10_folder(dir.str(), Split::train); }),
               Catch::Contains("load_cifar10_folder") && Catch::Contains(dir / "data_batch_3.bin") &&
                   Catch::Contains("missing file"));
  }
  SECTION("an error in a later batch of the folder names that batch") {
    for (int b = 1; b <= 5; ++b)
      test::write_bytes(dir / cat("data_batch_", b, ".bin"), records({static_cast<std::uint8_t>(b == 4 ? 200 : 0)}));
    CHECK_THAT(
        test::error_of([&] { load_cifar10_folder(dir.str(), Split::train); }),
        Catch::Contains(dir / "data_batch_4.bin") && Catch::Contains("record 0") && Catch::Contains("label 200"));
  }
}
