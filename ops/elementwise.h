// Elementwise ops. Binary ops broadcast by NumPy rules: shapes are aligned at the right, and
// an extent of 1 (or a missing leading axis) stretches to match. Their backward reduces each
// gradient back to its input's shape (sum_to).
#pragma once

#include "tensor/tensor.h"

namespace tg {

Tensor add(const Tensor& a, const Tensor& b);  ///< a + b
Tensor sub(const Tensor& a, const Tensor& b);  ///< a − b
Tensor mul(const Tensor& a, const Tensor& b);  ///< a · b
Tensor div(const Tensor& a, const Tensor& b);  ///< a / b

Tensor neg(const Tensor& x);                     ///< −x
Tensor add_scalar(const Tensor& x, double s);    ///< x + s
Tensor mul_scalar(const Tensor& x, double s);    ///< x · s
Tensor exp(const Tensor& x);                     ///< eˣ; saves y (dy/dx = y)
Tensor log(const Tensor& x);                     ///< ln x; saves x
Tensor sqrt(const Tensor& x);                    ///< √x; saves y (dy/dx = 1/(2y))
Tensor square(const Tensor& x);                  ///< x²; saves x
Tensor pow(const Tensor& x, double p);           ///< xᵖ; saves x
Tensor tanh(const Tensor& x);                    ///< tanh x; saves y (dy/dx = 1 − y²)
Tensor sigmoid(const Tensor& x);                 ///< 1/(1+e⁻ˣ); saves y (dy/dx = y(1 − y))
Tensor relu(const Tensor& x);                    ///< max(x, 0); saves y
Tensor elu(const Tensor& x, double alpha = 1.0); ///< x if x > 0 else α(eˣ − 1); saves y
/// λ01·x if x > 0 else λ01·α01·(eˣ − 1); saves y (slope λ where y > 0, y + λα elsewhere).
Tensor selu(const Tensor& x);
Tensor erf(const Tensor& x);                     ///< erf x; d/dx = 2/√π·e^(−x²); saves x
Tensor erfc(const Tensor& x);                    ///< 1 − erf x; saves x
Tensor softplus(const Tensor& x);                ///< log(1 + eˣ); saves x

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, double s) { return add_scalar(x, s); }
inline Tensor operator+(double s, const Tensor& x) { return add_scalar(x, s); }
inline Tensor operator-(const Tensor& x, double s) { return add_scalar(x, -s); }
inline Tensor operator-(double s, const Tensor& x) { return add_scalar(neg(x), s); }
inline Tensor operator*(const Tensor& x, double s) { return mul_scalar(x, s); }
inline Tensor operator*(double s, const Tensor& x) { return mul_scalar(x, s); }
inline Tensor operator/(const Tensor& x, double s) { return mul_scalar(x, 1.0 / s); }

/// The shape a ⊕ b broadcasts to; throws naming `op` and both shapes when they don't.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
/// Sums g over the axes that broadcasting stretched, giving a tensor of `shape`
/// (the backward of broadcasting). Not recorded on the tape.
Tensor sum_to(const Tensor& g, const Shape& shape);

}  // namespace tg
