// Square, as a composition: y = x·x through mul, whose backward gives gx += gy·x twice = 2x·gy.
//   saves   : x (mul's two inputs are the same tensor).
// No kernel of its own: mul's same-shape path is already one SIMD pass, and x·x is exact-rounded
// (pow(x, 2) would go through exp(2·ln|x|)).
#include "ops/elementwise.h"

namespace tg {

Tensor square(const Tensor& x) { return mul(x, x); }

}  // namespace tg
