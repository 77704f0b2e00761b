#include <cstdlib>
#include <filesystem>

#include "datasets/idx.h"
#include "datasets/mnist.h"
#include "files.h"
#include "support.h"

using namespace tg;
using test::Bytes;
using test::TempDir;

namespace {

// Pixel (i, p) of the synthetic images: distinct enough that a shifted read shows.
std::uint8_t pixel(std::int64_t i, std::int64_t p) { return static_cast<std::uint8_t>((i * 37 + p * 11) % 256); }

Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes b;
  test::append_be32(b, 0x00000803);
  test::append_be32(b, n);
  test::append_be32(b, rows);
  test::append_be32(b, cols);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t p = 0; p < rows * cols; ++p) b.push_back(pixel(i, p));
  return b;
}

Bytes idx_labels(const std::vector<std::uint8_t>& labels) {
  Bytes b;
  test::append_be32(b, 0x00000801);
  test::append_be32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

void check_images(const Tensor& x, std::int64_t n, std::int64_t pixels, double factor) {
  REQUIRE(x.dtype() == DType::float32);
  REQUIRE(x.shape() == Shape{n, pixels});
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t p = 0; p < pixels; ++p) REQUIRE(x.at({i, p}) == Approx(pixel(i, p) * factor).epsilon(1e-7));
}

}  // namespace

TEST_CASE("IDX images and labels read from plain and gzipped files alike") {
  TempDir dir;
  test::write_bytes(dir / "img", idx_images(5, 3, 4));
  test::write_gz(dir / "img.gz", idx_images(5, 3, 4));
  test::write_bytes(dir / "lab", idx_labels({3, 0, 9, 1, 7}));
  test::write_gz(dir / "lab.gz", idx_labels({3, 0, 9, 1, 7}));
  for (const char* name : {"img", "img.gz"}) {
    INFO(name);
    check_images(read_idx_images(dir / name), 5, 12, 1.0 / 255);
    check_images(read_idx_images(dir / name, PixelScale::raw), 5, 12, 1.0);
  }
  for (const char* name : {"lab", "lab.gz"}) {
    Tensor y = read_idx_labels(dir / name);
    REQUIRE(y.dtype() == DType::int64);
    CHECK(y.to_vector() == std::vector<double>{3, 0, 9, 1, 7});
  }
  // Pixel 255 becomes exactly 1, pixel 0 exactly 0.
  Bytes extremes = idx_images(1, 1, 2);
  extremes[16] = 0, extremes[17] = 255;
  test::write_bytes(dir / "ext", extremes);
  CHECK(read_idx_images(dir / "ext").to_vector() == std::vector<double>{0.0, 1.0});
}

TEST_CASE("load_mnist_folder pairs images with labels per split, plain or .gz") {
  TempDir dir;
  test::write_gz(dir / "train-images-idx3-ubyte.gz", idx_images(4, 2, 2));
  test::write_bytes(dir / "train-labels-idx1-ubyte", idx_labels({1, 2, 3, 4}));
  test::write_bytes(dir / "t10k-images-idx3-ubyte", idx_images(2, 2, 2));
  test::write_gz(dir / "t10k-labels-idx1-ubyte.gz", idx_labels({5, 6}));
  Dataset train = load_mnist_folder(dir.str(), Split::train);
  Dataset test = load_mnist_folder(dir.str(), Split::test);
  check_images(train.features, 4, 4, 1.0 / 255);
  CHECK(train.labels.to_vector() == std::vector<double>{1, 2, 3, 4});
  CHECK(test.size() == 2);
  CHECK(test.labels.to_vector() == std::vector<double>{5, 6});
}

TEST_CASE("load_mnist_folder rejects an image/label count mismatch naming both files") {
  TempDir dir;
  test::write_bytes(dir / "train-images-idx3-ubyte", idx_images(4, 2, 2));
  test::write_bytes(dir / "train-labels-idx1-ubyte", idx_labels({1, 2, 3}));
  const std::string msg = test::error_of([&] { load_mnist_folder(dir.str(), Split::train); });
  CHECK_THAT(msg, Catch::Contains("load_mnist_folder") && Catch::Contains(dir / "train-images-idx3-ubyte") &&
                      Catch::Contains(dir / "train-labels-idx1-ubyte") && Catch::Contains("4 images") &&
                      Catch::Contains("3 labels"));
}

TEST_CASE("load_mnist_folder names the missing file") {
  TempDir dir;
  test::write_bytes(dir / "train-images-idx3-ubyte", idx_images(1, 2, 2));
  const std::string msg = test::error_of([&] { load_mnist_folder(dir.str(), Split::train); });
  CHECK_THAT(msg, Catch::Contains(dir.str()) && Catch::Contains("missing file") &&
                      Catch::Contains("train-labels-idx1-ubyte.gz"));
}

TEST_CASE("IDX errors name the file, the byte offset and the problem") {
  TempDir dir;
  SECTION("missing file") {
    const std::string msg = test::error_of([&] { read_idx_images(dir / "nope"); });
    CHECK_THAT(msg, Catch::Contains("read_idx_images") && Catch::Contains(dir / "nope") &&
                        Catch::Contains("cannot open") && Catch::Contains("No such file"));
  }
  SECTION("wrong magic number: a label file read as images") {
    test::write_bytes(dir / "lab", idx_labels({1}));
    const std::string msg = test::error_of([&] { read_idx_images(dir / "lab"); });
    CHECK_THAT(msg, Catch::Contains(dir / "lab") && Catch::Contains("wrong magic number 0x00000801") &&
                        Catch::Contains("byte 0") && Catch::Contains("expected 0x00000803"));
  }
  SECTION("wrong magic number in a gzipped file says the offset is in the decompressed data") {
    test::write_gz(dir / "img.gz", idx_labels({1}));
    const std::string msg = test::error_of([&] { read_idx_images(dir / "img.gz"); });
    CHECK_THAT(msg, Catch::Contains("byte 0 of the decompressed data") && Catch::Contains("magic"));
  }
  SECTION("header cut short") {
    Bytes b = idx_images(1, 2, 2);
    b.resize(10);  // inside the extent of axis 1
    test::write_bytes(dir / "short", b);
    const std::string msg = test::error_of([&] { read_idx_images(dir / "short"); });
    CHECK_THAT(msg, Catch::Contains(dir / "short") && Catch::Contains("truncated at byte 10") &&
                        Catch::Contains("extent of axis 1") && Catch::Contains("from byte 8"));
  }
  SECTION("pixel data cut short, plain and gzipped") {
    Bytes b = idx_images(3, 2, 2);
    b.resize(b.size() - 5);  // 16 + 12 = 28 bytes in full; 23 remain
    test::write_bytes(dir / "cut", b);
    test::write_gz(dir / "cut.gz", b);
    CHECK_THAT(test::error_of([&] { read_idx_images(dir / "cut"); }),
               Catch::Contains(dir / "cut") && Catch::Contains("truncated at byte 23") &&
                   Catch::Contains("expected 12 bytes of 3 images of 2x2 pixels from byte 16") &&
                   Catch::Contains("ends after 7"));
    CHECK_THAT(test::error_of([&] { read_idx_images(dir / "cut.gz"); }),
               Catch::Contains(dir / "cut.gz") && Catch::Contains("truncated at byte 23 of the decompressed data"));
  }
  SECTION("a gzip stream cut in the middle") {
    test::write_gz(dir / "whole.gz", idx_images(200, 28, 28));
    Bytes gz = test::read_bytes(dir / "whole.gz");
    gz.resize(gz.size() / 2);
    test::write_bytes(dir / "half.gz", gz);
    const std::string msg = test::error_of([&] { read_idx_images(dir / "half.gz"); });
    CHECK_THAT(msg,
               Catch::Contains(dir / "half.gz") && Catch::Contains("truncated at byte") && Catch::Contains("cut off"));
  }
  SECTION("data after the promised values") {
    Bytes b = idx_labels({1, 2});
    b.push_back(3);
    test::write_bytes(dir / "long", b);
    const std::string msg = test::error_of([&] { read_idx_labels(dir / "long"); });
    CHECK_THAT(msg, Catch::Contains(dir / "long") && Catch::Contains("unexpected data after byte 10") &&
                        Catch::Contains("2 labels"));
  }
  SECTION("label out of range for the class count, which is a parameter") {
    test::write_bytes(dir / "lab", idx_labels({1, 9, 10, 2}));
    const std::string msg = test::error_of([&] { read_idx_labels(dir / "lab"); });
    CHECK_THAT(msg, Catch::Contains("read_idx_labels") && Catch::Contains(dir / "lab") && Catch::Contains("label 10") &&
                        Catch::Contains("example 2") && Catch::Contains("byte 10") && Catch::Contains("10 classes"));
    CHECK(read_idx_labels(dir / "lab", 11).to_vector() == std::vector<double>{1, 9, 10, 2});
  }
  SECTION("an absurd header fails cleanly instead of allocating") {
    Bytes b;
    for (std::uint32_t v : {0x00000803u, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}) test::append_be32(b, v);
    test::write_bytes(dir / "huge", b);
    CHECK_THAT(test::error_of([&] { read_idx_images(dir / "huge"); }), Catch::Contains("promise more than"));
    Bytes c;
    for (std::uint32_t v : {0x00000803u, 1000000u, 28u, 28u}) test::append_be32(c, v);
    c.resize(100, 0);
    test::write_bytes(dir / "liar", c);
    CHECK_THAT(test::error_of([&] { read_idx_images(dir / "liar"); }),
               Catch::Contains("truncated at byte 100") && Catch::Contains("784000000 bytes"));
  }
}

TEST_CASE("load_fashion_mnist reads TG_FASHION_MNIST_DIR when it is set") {
  TempDir dir;
  test::write_bytes(dir / "t10k-images-idx3-ubyte", idx_images(3, 28, 28));
  test::write_bytes(dir / "t10k-labels-idx1-ubyte", idx_labels({0, 1, 2}));
  ::setenv("TG_FASHION_MNIST_DIR", dir.str().c_str(), 1);
  CHECK(fashion_mnist_dir() == dir.str());
  Dataset d = load_fashion_mnist(Split::test);
  CHECK(d.size() == 3);
  const std::string msg = test::error_of([&] { load_fashion_mnist(Split::train); });
  ::unsetenv("TG_FASHION_MNIST_DIR");
  CHECK_THAT(msg, Catch::Contains("load_fashion_mnist") && Catch::Contains("scripts/setup.sh") &&
                      Catch::Contains("train-images-idx3-ubyte"));
  CHECK(fashion_mnist_dir() == kFashionMnistDir);
}

TEST_CASE("the real Fashion-MNIST: 60000 balanced training labels and 10000 test images of 784 pixels") {
  const std::string dir = fashion_mnist_dir();
  if (!std::filesystem::is_directory(dir))
    FAIL("Fashion-MNIST is missing from " << dir
                                          << ": run scripts/setup.sh (it installs the Debian package "
                                             "dataset-fashion-mnist)");
  const std::string plain = (std::filesystem::path(dir) / "train-labels-idx1-ubyte").string();
  Tensor labels = read_idx_labels(std::filesystem::exists(plain) ? plain : plain + ".gz");
  REQUIRE(labels.shape() == Shape{60000});
  std::vector<std::int64_t> counts(10, 0);
  const std::int64_t* y = labels.data<std::int64_t>();
  for (std::int64_t i = 0; i < 60000; ++i) ++counts[y[i]];
  CHECK(counts == std::vector<std::int64_t>(10, 6000));

  Dataset test = load_fashion_mnist(Split::test);
  REQUIRE(test.features.shape() == Shape{10000, 784});
  REQUIRE(test.labels.shape() == Shape{10000});
  const float* x = test.features.data<float>();
  float lo = 1, hi = 0;
  double sum = 0;
  for (std::int64_t i = 0; i < test.features.numel(); ++i)
    lo = std::min(lo, x[i]), hi = std::max(hi, x[i]), sum += x[i];
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
  // Fashion-MNIST's mean pixel is about 0.286 (72.9/255); a misread offset or scale would not be.
  CHECK(sum / static_cast<double>(test.features.numel()) == Approx(0.286).margin(0.01));
}
