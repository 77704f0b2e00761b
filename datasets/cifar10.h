// CIFAR-10 in its binary version: each batch file is a sequence of 3073-byte records, one label
// byte then 3072 pixel bytes (the 32x32 red plane, then green, then blue, each row-major).
// The training set is data_batch_1.bin .. data_batch_5.bin, the test set test_batch.bin.
#pragma once

#include <string>

#include "datasets/dataset.h"
#include "datasets/idx.h"

namespace tg {

inline constexpr std::int64_t kCifar10Pixels = 3 * 32 * 32;

/// One batch file: features float32 [N, 3072] in the file's channel-major order, labels int64 [N]
/// in [0, num_classes).
Dataset read_cifar10_batch(const std::string& path, PixelScale scale = PixelScale::unit, int num_classes = 10);

/// The five training batches concatenated in order, or the test batch, from the folder `dir`.
Dataset load_cifar10_folder(const std::string& dir, Split split, PixelScale scale = PixelScale::unit,
                            int num_classes = 10);

}  // namespace tg
