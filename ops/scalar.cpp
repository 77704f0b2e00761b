// Arithmetic with a constant: neg, add_scalar, mul_scalar.
//   forward : y = −x            y = x + s          y = x·s
//   backward: gx −= gy          gx += gy           gx += gy·s
//   saves   : nothing (the derivative is a constant)
#include "ops/elementwise.h"
#include "ops/unary.h"

namespace tg::kernels {

struct Neg {
  static constexpr const char* name = "neg";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 1;
  template <class B> B forward(const B& x) const { return -x; }
  template <class B> B derivative(const B&) const { return B(-1); }
};
TG_UNARY_KERNELS(Neg)

struct AddScalar {
  static constexpr const char* name = "add_scalar";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 1;
  double s;
  template <class B> B forward(const B& x) const { return x + B(s); }
  template <class B> B derivative(const B&) const { return B(1); }
};
TG_UNARY_KERNELS(AddScalar)

struct MulScalar {
  static constexpr const char* name = "mul_scalar";
  static constexpr Saves saves = Saves::input;
  static constexpr std::int64_t cost = 1;
  double s;
  template <class B> B forward(const B& x) const { return x * B(s); }
  template <class B> B derivative(const B&) const { return B(s); }
};
TG_UNARY_KERNELS(MulScalar)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {
Tensor neg(const Tensor& x) { return unary_op(x, kernels::Neg{}); }
Tensor add_scalar(const Tensor& x, double s) { return unary_op(x, kernels::AddScalar{s}); }
Tensor mul_scalar(const Tensor& x, double s) { return unary_op(x, kernels::MulScalar{s}); }
}  // namespace tg
#endif
