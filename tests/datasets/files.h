// File writers for the dataset tests: gzip and the big-endian integers of the IDX format. Scratch
// folders and plain reads and writes are in support.h.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>

#include "support.h"

namespace tg::test {

/// Writes `bytes` gzip-compressed, through zlib's own writer.
inline void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

inline void append_be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

}  // namespace tg::test
