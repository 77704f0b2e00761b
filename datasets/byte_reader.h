// ByteReader: reads a file byte by byte-range, gzip-compressed or plain alike, and knows where it is.
//
// zlib's gzread passes a plain file through unchanged, so one reader serves train-images-idx3-ubyte
// and train-images-idx3-ubyte.gz. Every error names the file and the byte offset in the
// (decompressed) stream, so a loader's message can say exactly where a file went wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tg {

class ByteReader {
 public:
  /// Opens `path`; throws "<op>: <path>: cannot open (<reason>)". `op` prefixes every error.
  ByteReader(std::string path, std::string op);
  ~ByteReader();
  ByteReader(const ByteReader&) = delete;
  ByteReader& operator=(const ByteReader&) = delete;

  /// Reads exactly n bytes, or throws (see fail_truncated).
  void read_exact(void* dst, std::size_t n, std::string_view what);
  /// Throws "<op>: <path>: truncated at byte X: expected <need> bytes of <what> from byte <start>, the
  /// file ends after <X - start>", for a read that started at `start` and has reached the end.
  [[noreturn]] void fail_truncated(std::string_view what, std::uint64_t start, std::uint64_t need) const;
  /// Reads up to n bytes; returns how many (fewer only at the end of the file). Throws when a gzip
  /// stream is cut off, lacks its trailer or fails its CRC.
  std::size_t read_some(void* dst, std::size_t n);
  /// Everything left, e.g. a whole text file.
  std::string read_rest();
  /// A 32-bit big-endian unsigned integer (the IDX header's byte order).
  std::uint32_t read_be32(std::string_view what);
  /// True when no byte is left; throws when the stream turns out cut off or its CRC does not match.
  bool at_end();

  /// Bytes consumed so far, counted in the decompressed stream.
  std::uint64_t offset() const { return offset_; }
  const std::string& path() const { return path_; }
  /// "byte 16" or, for a compressed file, "byte 16 of the decompressed data".
  std::string where(std::uint64_t byte) const;
  /// "<op>: <path>: " — the start of every message about this file.
  std::string prefix() const;

 private:
  // Throws when zlib's state after a read that returned nothing (at `byte`) is not a clean end:
  // a cut stream, a missing trailer, a CRC or length mismatch, corrupt data.
  void check_stream_end(std::uint64_t byte);

  std::string path_;
  std::string op_;
  void* file_ = nullptr;  // gzFile; kept opaque so zlib.h stays out of the header
  bool compressed_ = false;
  std::uint64_t offset_ = 0;
};

}  // namespace tg
