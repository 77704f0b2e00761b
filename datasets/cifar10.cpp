#include "datasets/cifar10.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

#include "tensor/error.h"
#include "datasets/byte_reader.h"

namespace tg {
namespace {

constexpr std::size_t kRecordBytes = 1 + kCifar10Pixels;

// Labels and pixel bytes of every record in one file, checked; nothing is converted yet.
void read_records(const std::string& path, int num_classes, const char* op, std::vector<std::int64_t>& labels,
                  std::vector<std::uint8_t>& pixels) {
  ByteReader in(path, op);
  std::uint8_t record[kRecordBytes];
  for (std::int64_t i = 0;; ++i) {
    const std::uint64_t start = in.offset();
    const std::size_t got = in.read_some(record, kRecordBytes);
    if (got == 0) {
      check(i > 0, in.prefix(), "the file holds no records");
      return;
    }
    if (got < kRecordBytes) in.fail_truncated(cat("record ", i), start, kRecordBytes);
    check(record[0] < num_classes, in.prefix(), "record ", i, " at ", in.where(start), ": label ", int{record[0]},
          " is out of range for ", num_classes, " classes");
    labels.push_back(record[0]);
    pixels.insert(pixels.end(), record + 1, record + kRecordBytes);
  }
}

Dataset to_dataset(const std::vector<std::int64_t>& labels, const std::vector<std::uint8_t>& pixels, PixelScale scale) {
  const auto n = static_cast<std::int64_t>(labels.size());
  Dataset data{empty({n, kCifar10Pixels}, DType::float32), empty({n}, DType::int64)};
  float* x = data.features.data<float>();
  const float factor = scale == PixelScale::unit ? 1.0f / 255.0f : 1.0f;
  for (std::size_t i = 0; i < pixels.size(); ++i) x[i] = static_cast<float>(pixels[i]) * factor;
  std::copy(labels.begin(), labels.end(), data.labels.data<std::int64_t>());
  return data;
}

void check_classes(int num_classes, const char* op, const std::string& path) {
  check(num_classes > 0 && num_classes <= 256, op, ": ", path, ": num_classes is ", num_classes,
        ", expected 1..256 (labels are single bytes)");
}

}  // namespace

Dataset read_cifar10_batch(const std::string& path, PixelScale scale, int num_classes) {
  check_classes(num_classes, "read_cifar10_batch", path);
  std::vector<std::int64_t> labels;
  std::vector<std::uint8_t> pixels;
  read_records(path, num_classes, "read_cifar10_batch", labels, pixels);
  return to_dataset(labels, pixels, scale);
}

Dataset load_cifar10_folder(const std::string& dir, Split split, PixelScale scale, int num_classes) {
  const char* op = "load_cifar10_folder";
  check_classes(num_classes, op, dir);
  std::vector<std::string> names;
  if (split == Split::train)
    for (int b = 1; b <= 5; ++b) names.push_back(cat("data_batch_", b, ".bin"));
  else
    names.push_back("test_batch.bin");

  std::vector<std::int64_t> labels;
  std::vector<std::uint8_t> pixels;
  for (const std::string& name : names) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    std::error_code ec;
    check(std::filesystem::exists(path, ec), op, ": ", path, ": missing file (the ", split_name(split),
          " split of a CIFAR-10 binary folder needs ",
          names.size() == 1 ? names[0] : "data_batch_1.bin .. data_batch_5.bin", ")");
    read_records(path, num_classes, op, labels, pixels);
  }
  return to_dataset(labels, pixels, scale);
}

}  // namespace tg
