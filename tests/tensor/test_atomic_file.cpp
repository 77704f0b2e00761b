// The atomic writer: whole or not at all, and every failure a tg::Error naming the file.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tensor/atomic_file.h"
#include "support.h"

using namespace tg;
using test::TempDir;

TEST_CASE("write_file_atomically replaces the file whole and leaves no temporary") {
  TempDir dir;
  write_file_atomically(dir / "a.txt", "first");
  write_file_atomically(dir / "a.txt", "second");
  CHECK(test::read_text(dir / "a.txt") == "second");
  CHECK(dir.entries() == std::vector<std::string>{"a.txt"});
}

TEST_CASE("a 248-character file name is written: its temporary's name is shortened to fit") {
  TempDir dir;
  const std::string name = std::string(244, 'c') + ".npz";
  REQUIRE(name.size() == 248);
  write_file_atomically(dir / name, "data");
  CHECK(test::read_text(dir / name) == "data");
  CHECK(dir.entries() == std::vector<std::string>{name});
}

TEST_CASE("an unwritable place, a device or a directory is an error naming the file, and changes nothing") {
  TempDir dir;
  test::write_text(dir / "file", "x");
  CHECK_THAT(test::error_of([&] { write_file_atomically(dir / "file/inside.csv", "y"); }),
             Catch::Contains(dir / "file/inside.csv") && Catch::Contains("Not a directory"));
  CHECK_THAT(test::error_of([&] { write_file_atomically(dir / "missing/out.csv", "y"); }),
             Catch::Contains(dir / "missing/out.csv") && Catch::Contains("No such file"));
  std::filesystem::create_directory(dir / "sub");
  CHECK_THAT(test::error_of([&] { write_file_atomically(dir / "sub", "y"); }),
             Catch::Contains(dir / "sub") && Catch::Contains("not a regular file"));
  // /dev/full: renaming over it would replace the device (for root); it is refused before any write.
  CHECK_THAT(test::error_of([&] { write_file_atomically("/dev/full", "y"); }),
             Catch::Contains("/dev/full") && Catch::Contains("not a regular file"));
  struct stat st {};
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(dir.entries() == std::vector<std::string>{"file", "sub"});
}

TEST_CASE("a full disk is an error, the old file stays and no temporary is left") {
  // RLIMIT_FSIZE makes writes past the limit fail with EFBIG, as a full disk fails with ENOSPC.
  TempDir dir;
  write_file_atomically(dir / "out.csv", "old contents");
  rlimit old_limit{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old_limit;
  small.rlim_cur = 1000;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  const std::string message = test::error_of([&] { write_file_atomically(dir / "out.csv", std::string(1 << 20, 'z')); });
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  CHECK_THAT(message, Catch::Contains(dir / "out.csv") && Catch::Contains("File too large"));
  CHECK(test::read_text(dir / "out.csv") == "old contents");
  CHECK(dir.entries() == std::vector<std::string>{"out.csv"});
}
