// The one check every training loop makes on its loss, and every program on what it reports:
// a number that is not finite stops the run with a message that says where and what to do,
// instead of coming out as a result (`test_accuracy: -nan` with exit status 0).
#pragma once

#include <cstdint>
#include <string_view>

namespace tg::optim {

/// `loss` when it is finite; otherwise a tg::Error "<program>: the loss is nan at epoch 3, step 17:
/// training diverged; <hint>". `epoch` and `step` are counted from 1 as the program prints them.
double check_finite_loss(std::string_view program, double loss, std::int64_t epoch, std::int64_t step,
                         std::string_view hint = "lower the learning rate (--lr)");

/// `value` when it is finite; otherwise a tg::Error "<program>: <name> is nan: <why>", for a result
/// about to be printed or written.
double check_finite_result(std::string_view program, std::string_view name, double value, std::string_view why);

}  // namespace tg::optim
