// Shared helpers for the test programs: inputs and references, gradient checks, the same bits
// whatever the thread count, error messages, and scratch folders with their files.
#pragma once

#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/tape.h"
#include "tensor/error.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace tg::test {

// ---- inputs and references ----

/// Sizes that straddle the SIMD widths (8 floats and 4 doubles with AVX2, 4/2 with SSE2),
/// plus a large odd size that exercises the scalar tail after many full batches.
inline const std::vector<std::int64_t> kSimdSizes = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1003};

/// A tensor of N(0, 1) values (times `scale`, plus `shift`) from a fixed seed.
inline Tensor random_tensor(const Shape& shape, DType dtype = DType::float64, std::uint64_t seed = 7,
                            double scale = 1.0, double shift = 0.0) {
  Generator gen(seed);
  return randn(shape, gen, dtype, shift, scale);
}

/// Largest |a − b| / max(1, |b|) over all elements of two tensors of the same shape.
inline double max_rel_diff(const Tensor& a, const std::vector<double>& b) {
  REQUIRE(a.numel() == static_cast<std::int64_t>(b.size()));
  std::vector<double> va = a.to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    worst = std::max(worst, std::abs(va[i] - b[i]) / std::max(1.0, std::abs(b[i])));
  return worst;
}

/// t's values, or none when t is undefined (an optional weight or bias, for a reference).
inline std::vector<double> values_or_empty(const Tensor& t) {
  return t.defined() ? t.to_vector() : std::vector<double>{};
}

// ---- gradients ----

/// Runs gradcheck and fails the test with its report when the error is above tolerance.
inline void require_gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, double tolerance = 1e-6) {
  GradcheckOptions options;
  options.tolerance = tolerance;
  GradcheckResult r = gradcheck(f, inputs, options);
  INFO(r.str());
  REQUIRE(r.checked > 0);
  REQUIRE(r.ok);
}

/// Gradients accumulate (`gx += …`): f used twice on the same inputs gives every input twice the
/// gradient that one use gives, for the output gradient gy. Clears the inputs' gradients first.
inline void require_gradients_accumulate(const GradcheckFn& f, const std::vector<Tensor>& inputs, const Tensor& gy,
                                         double tolerance = 1e-12) {
  auto gradients = [&] {
    std::vector<std::vector<double>> out;
    for (const Tensor& x : inputs) out.push_back(x.grad().to_vector());
    return out;
  };
  for (Tensor x : inputs) x.zero_grad();
  backward(f(inputs), gy);
  const std::vector<std::vector<double>> once = gradients();
  for (Tensor x : inputs) x.zero_grad();
  Tensor y1 = f(inputs), y2 = f(inputs);
  backward(y1, gy, /*retain_tape=*/true);
  backward(y2, gy);
  const std::vector<std::vector<double>> twice = gradients();
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    INFO("input " << k);
    for (std::size_t i = 0; i < once[k].size(); ++i) REQUIRE(twice[k][i] == Approx(2 * once[k][i]).epsilon(tolerance));
  }
}

/// Backward of f in float32 agrees with float64: from float64 inputs (those that require a
/// gradient get one) and output gradient gy, every float32 input gradient is within `tolerance`
/// (max_rel_diff) of the float64 one. f must build any constant tensors in its inputs' dtype.
inline void require_float32_backward_matches_float64(const GradcheckFn& f, const std::vector<Tensor>& inputs,
                                                     const Tensor& gy, double tolerance = 1e-5) {
  std::vector<Tensor> inputs32;
  for (const Tensor& x : inputs) {
    inputs32.push_back(x.detach().to(DType::float32));
    inputs32.back().requires_grad(x.requires_grad());
  }
  backward(f(inputs), gy);
  backward(f(inputs32), gy.to(DType::float32));
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!inputs[k].requires_grad()) continue;
    INFO("input " << k);
    CHECK(max_rel_diff(inputs32[k].grad(), inputs[k].grad().to_vector()) <= tolerance);
  }
}

// ---- the same bits whatever the thread count ----

/// Sets the OpenMP thread count for a scope; the previous count comes back at the scope's end,
/// also when a failed REQUIRE leaves it.
class ThreadCountGuard {
 public:
  explicit ThreadCountGuard(int threads) { set_num_threads(threads); }
  ~ThreadCountGuard() { set_num_threads(saved_); }
  ThreadCountGuard(const ThreadCountGuard&) = delete;
  ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

 private:
  int saved_ = num_threads();  // initialised before the constructor's body changes the count
};

/// fn() computed with `threads` OpenMP threads; the previous thread count is restored.
template <class F>
auto with_threads(int threads, F&& fn) {
  ThreadCountGuard guard(threads);
  return fn();
}

namespace detail {

/// One result of a run: its raw bytes (what is compared) and its values (what a failure prints).
struct ResultBits {
  std::string what;  // "[3, 4] float32", "1003 values"
  std::vector<unsigned char> bytes;
  std::size_t element_size = 1;
  std::vector<double> values;
};

inline void collect_bits(const Tensor& t, std::vector<ResultBits>& out) {
  if (!t.defined()) {
    out.push_back({"undefined", {}, 1, {}});
    return;
  }
  const auto* p = static_cast<const unsigned char*>(t.raw_data());
  const std::size_t size = dtype_size(t.dtype());
  out.push_back({cat(describe(t)), {p, p + t.numel() * size}, size, t.to_vector()});
}
template <class T>
  requires std::is_arithmetic_v<T>
void collect_bits(const std::vector<T>& v, std::vector<ResultBits>& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  out.push_back({cat(v.size(), " values"), {p, p + v.size() * sizeof(T)}, sizeof(T), {v.begin(), v.end()}});
}
template <class T>
  requires std::is_arithmetic_v<T>
void collect_bits(T v, std::vector<ResultBits>& out) {
  collect_bits(std::vector<T>{v}, out);
}
/// A vector of results (tensors, or vectors of numbers): each is one result.
template <class T>
void collect_bits(const std::vector<T>& results, std::vector<ResultBits>& out) {
  for (const T& r : results) collect_bits(r, out);
}

/// Every digit of v, so that two values whose bits differ print differently.
inline std::string exact(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

/// "" when a and b hold the same bits, else which result and element first differ.
inline std::string bit_difference(const std::vector<ResultBits>& a, const std::vector<ResultBits>& b) {
  if (a.size() != b.size()) return cat(a.size(), " results against ", b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].what != b[k].what) return cat("result ", k, " is ", a[k].what, " against ", b[k].what);
    const auto at = std::mismatch(a[k].bytes.begin(), a[k].bytes.end(), b[k].bytes.begin(), b[k].bytes.end()).first;
    if (at == a[k].bytes.end()) continue;
    const std::size_t i = static_cast<std::size_t>(at - a[k].bytes.begin()) / a[k].element_size;
    return cat("result ", k, " (", a[k].what, ") first differs at flat element ", i, ": ", exact(a[k].values[i]),
               " against ", exact(b[k].values[i]));
  }
  return "";
}

}  // namespace detail

/// "" when a and b (Tensors, numbers, or vectors of either; vectors may nest) hold the same bits,
/// else which result and element first differ.
template <class R>
std::string bit_difference(const R& a, const R& b) {
  std::vector<detail::ResultBits> bits_a, bits_b;
  detail::collect_bits(a, bits_a);
  detail::collect_bits(b, bits_b);
  return detail::bit_difference(bits_a, bits_b);
}

/// Runs fn() once under each thread count and REQUIREs that every run gives the same bits as the
/// first (memcmp of the raw bytes, not a tolerance); a failure names the two thread counts and the
/// first element that differs. fn returns a Tensor, a number, or a vector of either (vectors may
/// nest). Returns the first run's result: tensors in it may since have been overwritten by later
/// runs if they share storage with what those runs write.
template <class F>
auto require_same_bits_across_threads(F&& fn, std::initializer_list<int> thread_counts = {1, 2}) {
  REQUIRE(thread_counts.size() >= 2);
  const int first = *thread_counts.begin();
  auto result = with_threads(first, fn);
  std::vector<detail::ResultBits> expected;
  detail::collect_bits(result, expected);
  for (auto threads = thread_counts.begin() + 1; threads != thread_counts.end(); ++threads) {
    std::vector<detail::ResultBits> got;
    detail::collect_bits(with_threads(*threads, fn), got);
    const std::string difference = detail::bit_difference(expected, got);
    INFO("with " << first << " and " << *threads << " threads: " << difference);
    REQUIRE(difference.empty());
  }
  return result;
}

// ---- errors ----

/// The message of the tg::Error that f() throws. Fails the test when f() returns normally, and
/// says so distinctly when it throws another kind of exception.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected a tg::Error, got another exception: " << e.what());
  }
  FAIL("expected a tg::Error, but nothing was thrown");
  return "";
}

// ---- scratch folders and files ----

/// A fresh folder under the system temp dir, unique to this process and object, removed with
/// everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() / cat("tapegrad-test-", ::getpid(), "-", stamp, "-", counter++);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;  // never throw from a destructor
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The path of `name` inside the folder.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }
  const std::filesystem::path& path() const { return path_; }
  /// The names of what the folder holds, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::filesystem::path path_;
};

using Bytes = std::vector<std::uint8_t>;

/// A tensor's raw bytes.
inline Bytes bytes_of(const Tensor& t) {
  const auto* p = static_cast<const std::uint8_t*>(t.raw_data());
  return {p, p + t.numel() * dtype_size(t.dtype())};
}

inline Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}
inline void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Runs `script` with /usr/bin/python3 (where Debian's numpy lives) and `args`, from a file in
/// `dir`; returns what it printed, stdout and stderr together. Fails the test, showing the command
/// and its output, when numpy is missing or the script exits non-zero.
inline std::string run_python(const TempDir& dir, const std::string& script, const std::vector<std::string>& args) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
    FAIL("/usr/bin/python3 cannot import numpy: run scripts/setup.sh (it installs python3-numpy)");
  write_text(dir / "script.py", script);
  std::string command = "/usr/bin/python3 '" + (dir / "script.py") + "'";
  for (const auto& a : args) command += " '" + a + "'";
  command += " > '" + (dir / "python.out") + "' 2>&1";
  const int rc = std::system(command.c_str());
  const std::string text = read_text(dir / "python.out");
  INFO(command << "\n" << text);
  REQUIRE(rc == 0);
  return text;
}

}  // namespace tg::test
