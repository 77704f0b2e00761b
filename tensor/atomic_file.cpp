#include "tensor/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "tensor/error.h"

namespace tg {

namespace {

// "<path>.tmp.<pid>", with the file name shortened when the whole would pass the file system's
// limit on a name (a 248-character checkpoint name is fine; its temporary must be too).
std::string temporary_name(const std::string& path) {
  const std::string suffix = cat(".tmp.", ::getpid());
  const std::filesystem::path p(path);
  const std::string dir = p.parent_path().empty() ? std::string(".") : p.parent_path().string();
  const long limit = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  const std::size_t max_name = limit > 0 ? static_cast<std::size_t>(limit) : 255;
  std::string name = p.filename().string();
  if (name.size() + suffix.size() <= max_name) return path + suffix;
  name.resize(max_name > suffix.size() ? max_name - suffix.size() : 0);
  return (p.parent_path() / (name + suffix)).string();
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  check(!path_.empty(), "cannot write a file with an empty name");
  std::error_code ec;
  const auto status = std::filesystem::status(path_, ec);
  // Renaming over a device or a directory would replace it (as root, /dev/null itself).
  check(!std::filesystem::exists(status) || std::filesystem::is_regular_file(status), "cannot write ", path_,
        ": it exists and is not a regular file");
  temp_ = temporary_name(path_);
  file_ = std::fopen(temp_.c_str(), "wb");
  if (!file_) throw Error(cat("cannot create ", temp_, " (to write ", path_, "): ", std::strerror(errno)));
}

AtomicFile::~AtomicFile() {
  if (file_) std::fclose(file_);
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::write(const void* data, std::size_t bytes) {
  if (bytes && std::fwrite(data, 1, bytes, file_) != bytes)
    throw Error(cat("writing ", temp_, " failed: ", std::strerror(errno)));
  written_ += bytes;
}

void AtomicFile::commit() {
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0)
    throw Error(cat("flushing ", temp_, " failed: ", std::strerror(errno)));
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) throw Error(cat("closing ", temp_, " failed: ", std::strerror(errno)));
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    throw Error(cat("cannot rename ", temp_, " to ", path_, ": ", std::strerror(errno)));
  committed_ = true;
  // Make the rename itself durable; best effort, as some file systems refuse fsync on directories.
  const std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_file_atomically(const std::string& path, std::string_view contents) {
  AtomicFile file(path);
  file.write(contents);
  file.commit();
}

std::vector<std::string> remove_orphaned_temporaries(const std::string& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0 || !entry.is_regular_file(ec)) continue;
    const std::string_view pid = std::string_view(name).substr(at + 5);
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string_view::npos) continue;
    // kill(pid, 0) probes without signalling: ESRCH means no such process, so nobody will commit it.
    if (::kill(static_cast<pid_t>(std::stol(std::string(pid))), 0) == 0 || errno != ESRCH) continue;
    if (std::filesystem::remove(entry.path(), ec)) removed.push_back(entry.path().string());
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

}  // namespace tg
