// AtomicFile: every file tapegrad writes (checkpoints, results) appears whole or not at all.
//
// Data goes to "<path>.tmp.<pid>" (its file name shortened if it would be too long); commit() flushes it, fsyncs it and renames it over <path>
// (then fsyncs the directory, best effort). If commit() is never reached — a write threw, the
// process died — the old file is untouched and the temporary is removed (or left for a crash).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tg {

class AtomicFile {
 public:
  /// Creates the temporary; throws a tg::Error naming `path` when it cannot, or when `path` exists
  /// and is not a regular file (a device such as /dev/full, a directory).
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t bytes);
  void write(std::string_view s) { write(s.data(), s.size()); }
  std::uint64_t written() const { return written_; }
  /// Flushes the data to disk, then renames: the rename must not overtake the data.
  void commit();

 private:
  std::string path_, temp_;
  std::FILE* file_ = nullptr;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

/// Writes `contents` to `path` through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view contents);

/// Removes the temporaries that killed writers left in `dir`: files named "<name>.tmp.<pid>"
/// whose process no longer exists. Returns their paths. A run calls it when it starts (or resumes)
/// in its output folder; a live writer's temporary is left alone.
std::vector<std::string> remove_orphaned_temporaries(const std::string& dir);

}  // namespace tg
