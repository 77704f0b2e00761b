#include "tensor/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tensor/error.h"

namespace tg {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_(cat(path_, ".tmp.", ::getpid())) {
  file_ = std::fopen(temp_.c_str(), "wb");
  if (!file_) throw Error(cat("cannot create ", temp_, ": ", std::strerror(errno)));
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

}  // namespace tg
