// Helpers the example programs share: checks made before a run starts (memory, a writable output)
// and drawing a plot with one of the matplotlib scripts in tools/.
// Header-only; examples only (the library has no use for them). Scoring a classifier is the
// library's tg::evaluate (train/evaluate.h).
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tapegrad.h"

namespace tg::examples {

/// The memory this process may use: the machine's physical memory, or the address-space limit
/// (ulimit -v) when that is lower.
inline double usable_memory_bytes() {
  double bytes = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  rlimit limit{};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    bytes = std::min(bytes, static_cast<double>(limit.rlim_cur));
  return bytes;
}

/// Throws, before anything is allocated, when a network of `parameters` float32 parameters cannot
/// fit: weights, gradients and one optimizer slot are 12 bytes per parameter, before activations.
/// `what` says which options made it so big. `parameters` is a double so that no count overflows.
inline void check_parameters_fit(const char* program, double parameters, const std::string& what) {
  const double needed = 12.0 * parameters, usable = usable_memory_bytes();
  check(needed <= usable, program, ": ", what, " make ", parameters, " parameters, which need at least ",
        needed / 1e9, " GB (weights, gradients, optimizer state); this process can use ", usable / 1e9, " GB");
}

/// Fails now, not after training, when `path` cannot be written: creates its directory and a
/// temporary beside it (removed again), exactly as the final save will.
inline void check_writable(const char* program, const std::string& path) {
  try {
    const std::filesystem::path p(path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
    AtomicFile probe(path);  // never committed: the temporary is removed, `path` is untouched
  } catch (const std::exception& e) {
    throw Error(cat(program, ": cannot write ", path, ": ", e.what()));
  }
}

/// s in single quotes for /bin/sh, embedded single quotes escaped.
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs /usr/bin/python3 tools/<script> args... (from the source tree at `source_dir`) to draw `png`
/// from a finished CSV. A missing Python, script or matplotlib is not an error of the experiment:
/// `program` reports it, with the command to draw the plot later, and false is returned.
inline bool run_plot_script(const char* program, const std::string& source_dir, const std::string& script,
                            const std::vector<std::string>& args, const std::filesystem::path& png) {
  const std::string python = "/usr/bin/python3", path = source_dir + "/tools/" + script;
  std::string command = shell_quote(python) + " " + shell_quote(path);
  for (const std::string& arg : args) command += " " + shell_quote(arg);
  if (!std::filesystem::exists(python) || !std::filesystem::exists(path)) {
    std::cout << program << ": no plot: " << (std::filesystem::exists(python) ? path : python)
              << " not found; the CSV is complete. Draw it later with: " << command << "\n";
    return false;
  }
  const int status = std::system(command.c_str());
  if (status != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::cout << program << ": no plot: '" << command << "' failed (exit status " << code
              << (code == 3 ? ": matplotlib is not installed for /usr/bin/python3" : "")
              << "); the CSV is complete.\n";
    return false;
  }
  std::cout << "plot: " << png.string() << "\n";
  return true;
}

}  // namespace tg::examples
