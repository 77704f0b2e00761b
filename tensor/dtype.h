// Element types and the one place that turns a runtime dtype into a template argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "tensor/error.h"
#include "tensor/op_scope.h"

namespace tg {

/// float32 and float64 carry values and gradients; int64 carries labels and indices only.
enum class DType : std::uint8_t { float32, float64, int64 };

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::int64: return "int64";
  }
  return "?";
}
inline std::ostream& operator<<(std::ostream& out, DType t) { return out << dtype_name(t); }

inline std::size_t dtype_size(DType t) { return t == DType::float32 ? 4 : 8; }

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::float32; }
template <> constexpr DType dtype_of<double>() { return DType::float64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::int64; }

/// Calls fn.template operator()<T>() with T = float or double matching `t`:
///   dispatch(x.dtype(), "selu", [&]<class T>() { kernels::selu_forward(x.data<T>(), ...); });
/// `op` names the caller in the error thrown for a non-floating dtype, and the row the
/// profiler charges the kernel's time to (autograd/profiler.h).
template <class Fn>
decltype(auto) dispatch(DType t, const char* op, Fn&& fn) {
  OpScope scope(op);  // a null-pointer test unless a Profiler is on
  if (t == DType::float32) return fn.template operator()<float>();
  if (t == DType::float64) return fn.template operator()<double>();
  throw Error(cat(op, ": expected a float32 or float64 tensor, got ", dtype_name(t)));
}

}  // namespace tg
