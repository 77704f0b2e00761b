#include "datasets/idx.h"

#include <algorithm>
#include <vector>

#include "tensor/error.h"
#include "datasets/byte_reader.h"

namespace tg {
namespace {

constexpr std::uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, rank 3
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, rank 1

std::string hex32(std::uint32_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) s += digits[(v >> shift) & 0xF];
  return s;
}

// Reads the magic number and the extents; the reader is left at the first value.
std::vector<std::int64_t> read_header(ByteReader& in, std::uint32_t magic, const char* kind) {
  const std::uint32_t got = in.read_be32("the magic number");
  check(got == magic, in.prefix(), "wrong magic number ", hex32(got), " at ", in.where(0), ", expected ", hex32(magic),
        " (IDX ", kind, ")");
  std::vector<std::int64_t> dims;
  for (std::uint32_t axis = 0; axis < (magic & 0xFF); ++axis)
    dims.push_back(in.read_be32(cat("the extent of axis ", axis)));
  return dims;
}

// The number of value bytes the extents promise, refusing absurd headers (a corrupt extent could
// otherwise overflow or ask for terabytes).
std::int64_t value_count(const ByteReader& in, const std::vector<std::int64_t>& dims) {
  constexpr std::int64_t kMaxBytes = std::int64_t{1} << 40;
  std::int64_t count = 1;
  for (std::int64_t d : dims)
    check(!__builtin_mul_overflow(count, d, &count) && count <= kMaxBytes, in.prefix(), "the header's extents ",
          Shape(std::span<const std::int64_t>(dims)), " promise more than 2^40 values");
  return count;
}

// Reads `count` value bytes and checks that nothing follows them: extra bytes mean the header's
// count is wrong, which would silently drop examples. Reads in chunks so that a header promising
// far more than the file holds fails on truncation instead of allocating the promise up front.
std::vector<std::uint8_t> read_values(ByteReader& in, std::int64_t count, const std::string& what) {
  constexpr std::int64_t kChunk = std::int64_t{1} << 24;
  const std::uint64_t start = in.offset();
  std::vector<std::uint8_t> bytes;
  for (std::int64_t done = 0; done < count;) {
    const std::int64_t want = std::min(kChunk, count - done);
    bytes.resize(static_cast<std::size_t>(done + want));
    const std::size_t got = in.read_some(bytes.data() + done, static_cast<std::size_t>(want));
    done += static_cast<std::int64_t>(got);
    if (got != static_cast<std::size_t>(want)) in.fail_truncated(what, start, static_cast<std::uint64_t>(count));
  }
  check(in.at_end(), in.prefix(), "unexpected data after ", in.where(in.offset()), ": the header promises ", what,
        " and nothing more");
  return bytes;
}

}  // namespace

Tensor read_idx_images(const std::string& path, PixelScale scale) {
  ByteReader in(path, "read_idx_images");
  const std::vector<std::int64_t> dims = read_header(in, kImagesMagic, "images: unsigned bytes, 3 dimensions");
  const std::int64_t n = dims[0], pixels = value_count(in, {dims[1], dims[2]});
  const std::vector<std::uint8_t> bytes =
      read_values(in, value_count(in, dims), cat(n, " images of ", dims[1], "x", dims[2], " pixels"));

  Tensor images = empty({n, pixels}, DType::float32);
  float* out = images.data<float>();
  const float factor = scale == PixelScale::unit ? 1.0f / 255.0f : 1.0f;
  for (std::size_t i = 0; i < bytes.size(); ++i) out[i] = static_cast<float>(bytes[i]) * factor;
  return images;
}

Tensor read_idx_labels(const std::string& path, int num_classes) {
  check(num_classes > 0, "read_idx_labels: ", path, ": num_classes is ", num_classes, ", expected at least 1");
  ByteReader in(path, "read_idx_labels");
  const std::vector<std::int64_t> dims = read_header(in, kLabelsMagic, "labels: unsigned bytes, 1 dimension");
  const std::int64_t header_bytes = in.offset();
  const std::vector<std::uint8_t> bytes = read_values(in, value_count(in, dims), cat(dims[0], " labels"));

  Tensor labels = empty({dims[0]}, DType::int64);
  std::int64_t* out = labels.data<std::int64_t>();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    check(bytes[i] < num_classes, in.prefix(), "label ", int{bytes[i]}, " of example ", i, " at ",
          in.where(header_bytes + i), " is out of range for ", num_classes, " classes");
    out[i] = bytes[i];
  }
  return labels;
}

}  // namespace tg
