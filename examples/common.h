// Helpers the example programs share: drawing a plot with one of the matplotlib scripts in tools/.
// Header-only; examples only (the library has no use for them). Scoring a classifier is the
// library's tg::evaluate (train/evaluate.h).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "tapegrad.h"

namespace tg::examples {

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
