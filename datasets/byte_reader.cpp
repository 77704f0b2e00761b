#include "datasets/byte_reader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tensor/error.h"

namespace tg {
namespace {
gzFile gz(void* f) { return static_cast<gzFile>(f); }
// gzread takes an unsigned length and returns an int: read in pieces well below INT_MAX.
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;
}  // namespace

ByteReader::ByteReader(std::string path, std::string op) : path_(std::move(path)), op_(std::move(op)) {
  std::error_code ec;
  check(!std::filesystem::exists(path_, ec) || std::filesystem::is_regular_file(path_, ec), prefix(),
        "cannot open (not a regular file)");
  errno = 0;
  file_ = gzopen(path_.c_str(), "rb");
  check(file_ != nullptr, prefix(), "cannot open (", errno ? std::strerror(errno) : "zlib could not allocate", ")");
  gzbuffer(gz(file_), 1 << 16);
  // gzdirect is only reliable once the header has been looked at; peek one byte and put it back.
  int c = gzgetc(gz(file_));
  if (c != -1) gzungetc(c, gz(file_));
  compressed_ = gzdirect(gz(file_)) == 0;
}

ByteReader::~ByteReader() {
  if (file_) gzclose_r(gz(file_));
}

std::string ByteReader::prefix() const { return cat(op_, ": ", path_, ": "); }

std::string ByteReader::where(std::uint64_t byte) const {
  return compressed_ ? cat("byte ", byte, " of the decompressed data") : cat("byte ", byte);
}

std::size_t ByteReader::read_some(void* dst, std::size_t n) {
  auto* out = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const auto want = static_cast<unsigned>(std::min(n - done, kMaxChunk));
    const int got = gzread(gz(file_), out + done, want);
    if (got < 0) {
      int code = 0;
      const char* reason = gzerror(gz(file_), &code);
      throw Error(cat(prefix(), "read error at ", where(offset_ + done), ": ", reason));
    }
    if (got == 0) {
      // gzread reports a cut-off gzip stream as a plain end of file; ask zlib whether it was one.
      // A stream cut anywhere, its 8-byte trailer (CRC-32 and length) included, is an error here,
      // whatever the caller was reading: the data before the cut were never checked.
      check_stream_end(offset_ + done);
      break;
    }
    done += static_cast<std::size_t>(got);
  }
  offset_ += done;
  return done;
}

void ByteReader::check_stream_end(std::uint64_t byte) {
  int code = 0;
  const char* reason = gzerror(gz(file_), &code);
  check(code != Z_BUF_ERROR, prefix(), "truncated at ", where(byte),  // zlib's "unexpected end of file"
        ": the gzip stream is cut off (the data end early or the 8-byte trailer with the CRC is missing)");
  check(code == Z_OK || code == Z_STREAM_END, prefix(), "read error at ", where(byte), ": ", reason,
        code == Z_DATA_ERROR ? " (the compressed data are corrupt)" : "");
}

void ByteReader::read_exact(void* dst, std::size_t n, std::string_view what) {
  const std::uint64_t start = offset_;
  if (read_some(dst, n) != n) fail_truncated(what, start, n);
}

void ByteReader::fail_truncated(std::string_view what, std::uint64_t start, std::uint64_t need) const {
  throw Error(cat(prefix(), "truncated at ", where(offset_), ": expected ", need, " bytes of ", what, " from byte ",
                  start, ", the file ends after ", offset_ - start));
}

std::string ByteReader::read_rest() {
  std::string text;
  char buffer[1 << 16];
  while (std::size_t n = read_some(buffer, sizeof buffer)) text.append(buffer, n);
  return text;
}

std::uint32_t ByteReader::read_be32(std::string_view what) {
  unsigned char b[4];
  read_exact(b, 4, what);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
}

bool ByteReader::at_end() {
  const int c = gzgetc(gz(file_));
  if (c == -1) {  // the end, or a damaged stream: reaching the end checks the trailer
    check_stream_end(offset_);
    return true;
  }
  gzungetc(c, gz(file_));
  return false;
}

}  // namespace tg
