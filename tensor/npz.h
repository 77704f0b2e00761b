// NPZ files: named tensors in the format numpy.savez writes and numpy.load reads.
//
// Note [The npz format]
// ~~~~~~~~~~~~~~~~~~~~~
// An .npz is a ZIP archive with one member "<name>.npy" per array. Each member is an NPY v1.0
// file: the magic "\x93NUMPY", version 1.0, a little-endian uint16 header length, and a Python
// dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces and a newline to a multiple of 64 bytes; the raw row-major data follows.
// We write members *stored* (uncompressed): it is the simplest valid ZIP and numpy reads it as is.
// The ZIP's CRC-32 of every member is the checksum: load_npz verifies it before any tensor is
// returned. Files go through AtomicFile (atomic_file.h): written to "<path>.tmp.<pid>", flushed,
// fsync'ed and renamed over <path>, so a crash leaves the old file or the new one, never a mix.
// The loader trusts nothing: every offset and size is checked against the file's length, so a
// truncated or corrupted file gives a tg::Error naming the file, the member and the problem.
// It also reads deflated members (numpy.savez_compressed); ZIP64 archives (> 4 GiB) are refused.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

/// Arrays with their names, in file order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

/// Writes `arrays` (float32, float64 or int64, any rank including 0-dim and empty) to `path`
/// atomically; names must be non-empty and unique. Throws tg::Error on any I/O failure.
void save_npz(const std::string& path, const NamedTensors& arrays);

/// Reads every array of an .npz file (member "x.npy" becomes "x"), verifying each member's
/// CRC-32. Throws tg::Error on anything malformed; never returns partial data.
NamedTensors load_npz(const std::string& path);

}  // namespace tg
