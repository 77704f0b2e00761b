// tg::Error — the one exception type tapegrad throws.
//
// Messages start with the name of the function that failed and print every shape involved,
// e.g. "matmul: a is [32, 784], b is [512, 10]: inner dimensions 784 and 512 differ".
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace tg {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Concatenates anything printable with operator<<: cat("sum: axis ", 3, " out of range").
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

/// Throws tg::Error(cat(parts...)) when `ok` is false.
template <class... Parts>
void check(bool ok, const Parts&... parts) {
  if (!ok) throw Error(cat(parts...));
}

}  // namespace tg
