// The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//
// An IDX file is a 4-byte magic number 0x00 0x00 <type> <rank>, then <rank> big-endian uint32
// extents, then the values row-major. Images are type 0x08 (unsigned byte) with rank 3
// [N, rows, cols], labels type 0x08 with rank 1 [N]. Nothing else appears in these data sets,
// so nothing else is read.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace tg {

/// How pixel bytes become float32: unit → byte/255 in [0, 1]; raw → the byte value 0..255.
enum class PixelScale { unit, raw };

/// Images as float32 [N, rows·cols], one flattened image per row.
Tensor read_idx_images(const std::string& path, PixelScale scale = PixelScale::unit);

/// Labels as int64 [N]; every value must lie in [0, num_classes).
Tensor read_idx_labels(const std::string& path, int num_classes = 10);

}  // namespace tg
