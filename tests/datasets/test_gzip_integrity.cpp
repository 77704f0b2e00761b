// Every reader of outside bytes refuses a damaged .gz whole: a stream cut in the middle, a stream
// without its 8-byte trailer (so its CRC was never checked) and a CRC that does not match the data
// are errors naming the file, for IDX, CSV, CIFAR-10 and ARFF alike.
#include <cstdint>
#include <string>

#include "datasets/arff.h"
#include "datasets/cifar10.h"
#include "datasets/csv.h"
#include "datasets/idx.h"
#include "files.h"
#include "support.h"

using namespace tg;
using test::Bytes;
using test::TempDir;

namespace {

// Bytes that barely compress (a linear congruential sequence), so a cut lands inside the data.
Bytes noise(std::size_t n, std::uint32_t state = 12345) {
  Bytes b;
  for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>((state = state * 1103515245u + 12345u) >> 24));
  return b;
}

Bytes idx_images(std::uint32_t n, std::uint32_t side) {
  Bytes b;
  for (std::uint32_t v : {0x00000803u, n, side, side}) test::append_be32(b, v);
  const Bytes pixels = noise(std::size_t{n} * side * side);
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

Bytes cifar_records(int n) {
  Bytes b;
  for (int i = 0; i < n; ++i) {
    b.push_back(static_cast<std::uint8_t>(i % 10));
    const Bytes pixels = noise(kCifar10Pixels, static_cast<std::uint32_t>(i + 1));
    b.insert(b.end(), pixels.begin(), pixels.end());
  }
  return b;
}

Bytes csv_text(int rows) {
  std::string text = "a,b,label\n";
  const Bytes r = noise(static_cast<std::size_t>(rows) * 2);
  for (int i = 0; i < rows; ++i) text += cat(int{r[2 * i]}, ",", int{r[2 * i + 1]}, ",", i % 3, "\n");
  return Bytes(text.begin(), text.end());
}

Bytes arff_text(int rows) {
  std::string text = "@relation r\n@attribute a numeric\n@attribute b numeric\n@attribute class {x,y}\n@data\n";
  const Bytes r = noise(static_cast<std::size_t>(rows) * 2);
  for (int i = 0; i < rows; ++i) text += cat(int{r[2 * i]}, ",", int{r[2 * i + 1]}, ",", i % 2 ? "x" : "y", "\n");
  return Bytes(text.begin(), text.end());
}

// The three damages of one gzip file, each written next to it.
struct Damaged {
  std::string cut, no_trailer, bad_crc;
};
Damaged damage(const TempDir& dir, const std::string& name, const Bytes& contents) {
  test::write_gz(dir / (name + ".gz"), contents);
  const Bytes gz = test::read_bytes(dir / (name + ".gz"));
  REQUIRE(gz.size() > 100);
  Damaged d{dir / ("cut-" + name + ".gz"), dir / ("notrailer-" + name + ".gz"), dir / ("badcrc-" + name + ".gz")};
  test::write_bytes(d.cut, Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
  test::write_bytes(d.no_trailer, Bytes(gz.begin(), gz.end() - 8));
  Bytes crc = gz;
  crc[crc.size() - 8] ^= 0x01;  // the trailer is CRC-32 then the length, both little-endian
  test::write_bytes(d.bad_crc, crc);
  return d;
}

template <class Read>
void require_refused(const Damaged& d, Read read) {
  CHECK_THAT(test::error_of([&] { read(d.cut); }), Catch::Contains(d.cut) && Catch::Contains("cut off"));
  CHECK_THAT(test::error_of([&] { read(d.no_trailer); }),
             Catch::Contains(d.no_trailer) && Catch::Contains("cut off"));
  CHECK_THAT(test::error_of([&] { read(d.bad_crc); }),
             Catch::Contains(d.bad_crc) && Catch::Contains("incorrect data check"));
}

}  // namespace

TEST_CASE("a damaged .gz is an error naming the file: IDX images") {
  TempDir dir;
  const Bytes contents = idx_images(40, 28);
  const Damaged d = damage(dir, "img", contents);
  CHECK(read_idx_images(dir / "img.gz").size(0) == 40);  // the undamaged file reads
  require_refused(d, [](const std::string& p) { read_idx_images(p); });
}

TEST_CASE("a damaged .gz is an error naming the file: CSV") {
  TempDir dir;
  const Damaged d = damage(dir, "t.csv", csv_text(4000));
  CHECK(read_csv(dir / "t.csv.gz", {.label_column = "label"}).labels.size(0) == 4000);
  require_refused(d, [](const std::string& p) { read_csv(p, {.label_column = "label"}); });
}

TEST_CASE("a damaged .gz is an error naming the file: CIFAR-10") {
  TempDir dir;
  const Damaged d = damage(dir, "b.bin", cifar_records(50));
  CHECK(read_cifar10_batch(dir / "b.bin.gz").labels.size(0) == 50);
  require_refused(d, [](const std::string& p) { read_cifar10_batch(p); });
}

TEST_CASE("a damaged .gz is an error naming the file: ARFF") {
  TempDir dir;
  const Damaged d = damage(dir, "t.arff", arff_text(4000));
  CHECK(read_arff(dir / "t.arff.gz").rows == 4000);
  require_refused(d, [](const std::string& p) { read_arff(p); });
}
