// The paper's constants at full precision (docs/paper.md §1), usable as float or double.
#pragma once

namespace tg {

/// α01 of SELU: −sqrt(2/π) / (erfc(1/√2)·exp(1/2) − 1).
template <class T> inline constexpr T kSeluAlpha = T(1.6732632423543772848170429916717L);
/// λ01 of SELU (closed form and derivation in docs/paper.md §1).
template <class T> inline constexpr T kSeluLambda = T(1.0507009873554804934193349852946L);

}  // namespace tg
