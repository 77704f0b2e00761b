#include "datasets/mnist.h"

#include <cstdlib>
#include <filesystem>

#include "tensor/error.h"

namespace tg {
namespace {

// The path of `stem` in `dir`, plain or gzipped; throws naming both candidates when neither exists.
std::string find_idx_file(const std::string& dir, const std::string& stem, const char* op, const std::string& hint) {
  const std::filesystem::path plain = std::filesystem::path(dir) / stem;
  const std::filesystem::path gz = std::filesystem::path(dir) / (stem + ".gz");
  std::error_code ec;
  if (std::filesystem::exists(plain, ec)) return plain.string();
  if (std::filesystem::exists(gz, ec)) return gz.string();
  throw Error(cat(op, ": ", dir, ": missing file: neither ", stem, " nor ", stem, ".gz exists", hint));
}

Dataset load_folder(const std::string& dir, Split split, PixelScale scale, int num_classes, const char* op,
                    const std::string& hint) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const std::string images_path = find_idx_file(dir, prefix + "-images-idx3-ubyte", op, hint);
  const std::string labels_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte", op, hint);
  Dataset data{read_idx_images(images_path, scale), read_idx_labels(labels_path, num_classes)};
  check(data.features.size(0) == data.labels.size(0), op, ": ", images_path, " holds ", data.features.size(0),
        " images but ", labels_path, " holds ", data.labels.size(0), " labels: the counts must match");
  return data;
}

}  // namespace

Dataset load_mnist_folder(const std::string& dir, Split split, PixelScale scale, int num_classes) {
  return load_folder(dir, split, scale, num_classes, "load_mnist_folder", "");
}

std::string fashion_mnist_dir() {
  const char* env = std::getenv("TG_FASHION_MNIST_DIR");
  return env && *env ? std::string(env) : std::string(kFashionMnistDir);
}

Dataset load_fashion_mnist(Split split, PixelScale scale) {
  return load_folder(fashion_mnist_dir(), split, scale, 10, "load_fashion_mnist",
                     " (install the Debian package dataset-fashion-mnist with scripts/setup.sh, or point "
                     "TG_FASHION_MNIST_DIR at a folder holding the Fashion-MNIST IDX files)");
}

}  // namespace tg
