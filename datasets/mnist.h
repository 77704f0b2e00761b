// MNIST-format folders: MNIST, Fashion-MNIST, KMNIST — anything with the four IDX files
//   train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte
// each either plain or with a .gz suffix (the plain file wins when both exist).
#pragma once

#include <string>

#include "datasets/dataset.h"
#include "datasets/idx.h"

namespace tg {

/// Where Debian's dataset-fashion-mnist package puts the data (scripts/setup.sh installs it).
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Images float32 [N, rows·cols] (scaled as `scale` says) and labels int64 [N] of one split.
/// Throws if a file is missing or bad, or if the image and label counts differ.
Dataset load_mnist_folder(const std::string& dir, Split split, PixelScale scale = PixelScale::unit,
                          int num_classes = 10);

/// The Fashion-MNIST folder: $TG_FASHION_MNIST_DIR when set and non-empty, else kFashionMnistDir.
std::string fashion_mnist_dir();

/// load_mnist_folder(fashion_mnist_dir(), split): 60000 training or 10000 test images of 28x28.
Dataset load_fashion_mnist(Split split, PixelScale scale = PixelScale::unit);

}  // namespace tg
