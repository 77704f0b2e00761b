#include "train/finite.h"

#include <cmath>

#include "tensor/error.h"

namespace tg::optim {

double check_finite_loss(std::string_view program, double loss, std::int64_t epoch, std::int64_t step,
                         std::string_view hint) {
  check(std::isfinite(loss), program, ": the loss is ", loss, " at epoch ", epoch, ", step ", step,
        ": training diverged; ", hint);
  return loss;
}

double check_finite_result(std::string_view program, std::string_view name, double value, std::string_view why) {
  check(std::isfinite(value), program, ": ", name, " is ", value, ": ", why);
  return value;
}

}  // namespace tg::optim
