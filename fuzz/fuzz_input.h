// What every harness shares: the fuzzer's bytes as a file a reader can open, and the rule that a
// tg::Error is the only acceptable way for a reader to refuse them.
//
// The readers take paths, so each input is written to one scratch file per process (in $TMPDIR,
// /tmp by default) and read back. The first byte chooses how the rest becomes that file, so one
// corpus reaches both the parsers and the gzip layer under them (datasets/byte_reader.h):
//   0: the bytes as they are (a .gz seed stays a .gz, and its mutations corrupt the stream)
//   1: the bytes gzip-compressed (the mutations reach the parser through inflate)
//   2: as 1, then the compressed file cut short by 1 + (second byte) bytes (a truncated .gz)
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "tensor/error.h"

namespace tg::fuzz {

inline std::string scratch_path(const char* suffix) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/tg_fuzz_" + std::to_string(getpid()) + suffix;
}

inline void write_file(const std::string& path, const void* data, std::size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness itself failed, not the reader
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

/// Writes the input to the scratch file as the first byte says; returns its path.
inline std::string input_file(const std::uint8_t* data, std::size_t size, const char* suffix = "") {
  const std::string path = scratch_path(suffix);
  const int mode = size ? data[0] % 3 : 0;
  const std::uint8_t* rest = size ? data + 1 : data;
  const std::size_t rest_size = size ? size - 1 : 0;
  if (mode == 0) {
    write_file(path, rest, rest_size);
    return path;
  }
  gzFile f = gzopen(path.c_str(), "wb1");
  if (!f) std::abort();
  if (rest_size && gzwrite(f, rest, static_cast<unsigned>(rest_size)) != static_cast<int>(rest_size)) std::abort();
  gzclose(f);
  if (mode == 2) {
    const std::size_t cut = 1 + (rest_size ? rest[0] : 0);
    FILE* in = std::fopen(path.c_str(), "rb");
    std::string bytes;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, in)) > 0;) bytes.append(buf, n);
    std::fclose(in);
    write_file(path, bytes.data(), bytes.size() > cut ? bytes.size() - cut : 0);
  }
  return path;
}

/// Runs `read`: returning or throwing tg::Error is fine; any other exception is a finding, and
/// aborts so that libFuzzer saves the input (sanitizer reports and crashes stop it by themselves).
/// With TG_FUZZ_VERBOSE set, says which of the two happened (to check that seeds load).
template <class Read>
void expect_error_or_success(Read&& read) {
  static const bool verbose = std::getenv("TG_FUZZ_VERBOSE") != nullptr;
  try {
    read();
    if (verbose) std::fprintf(stderr, "fuzz: loaded\n");
  } catch (const tg::Error& e) {
    if (verbose) std::fprintf(stderr, "fuzz: tg::Error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: an exception other than tg::Error: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: an exception other than tg::Error, not even a std::exception\n");
    std::abort();
  }
}

}  // namespace tg::fuzz
