// Running a Python script with Debian's numpy from a test, for files numpy writes or reads.
#pragma once

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "support.h"

namespace tg::test {

/// `path` in single quotes, for run_python's argument list.
inline std::string quoted(const std::string& path) { return cat("'", path, "'"); }

/// Writes `script` to <dir>/script.py, runs it with /usr/bin/python3 and `args` (each quoted),
/// and returns what it printed; the test fails with the output if it exits non-zero.
inline std::string run_python(const std::string& dir, const std::string& script, const std::string& args) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    FAIL("/usr/bin/python3 cannot import numpy: run scripts/setup.sh (it installs python3-numpy)");
  std::ofstream(dir + "/script.py") << script;
  const std::string command = cat("/usr/bin/python3 '", dir, "/script.py' ", args, " > '", dir, "/python.out' 2>&1");
  const int rc = std::system(command.c_str());
  std::ifstream in(dir + "/python.out");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  INFO(command << "\n" << text);
  REQUIRE(rc == 0);
  return text;
}

}  // namespace tg::test
