// Negative log-likelihood of log-probabilities [batch, classes] against int64 labels [batch].
//   forward : loss_r = −log_probs[r, label_r], then reduced (mean over rows, sum, or none)
//   backward: gx[r, label_r] −= s_r     s_r = gy / batch (mean), gy (sum), gy[r] (none)
//   saves   : nothing but the labels (an input); the values of log_probs are not needed.
// With log_softmax it is the composite that the fused cross_entropy is tested against.
#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"
#include "ops/reduction.h"

namespace tg {

void check_class_labels(const char* op, const char* what, const Tensor& input, const Tensor& labels) {
  check(input.defined() && labels.defined(), op, ": ", what, " is ", describe(input), ", labels are ", describe(labels));
  check(input.dtype() != DType::int64, op, ": ", what, " must be float32 or float64, got ", describe(input));
  check(input.dim() == 2, op, ": ", what, " are ", input.shape(), ": expected [batch, classes]");
  check(labels.dtype() == DType::int64, op, ": labels must be int64, got ", describe(labels));
  check(labels.dim() == 1, op, ": ", what, " are ", input.shape(), ", labels are ", labels.shape(),
        ": expected labels of shape [batch]");
  check(labels.size(0) == input.size(0), op, ": ", what, " are ", input.shape(), ", labels are ", labels.shape(),
        ": batch sizes differ");
  const std::int64_t classes = input.size(1);
  const std::int64_t* label = labels.data<std::int64_t>();
  for (std::int64_t r = 0; r < labels.numel(); ++r)
    check(label[r] >= 0 && label[r] < classes, op, ": label ", label[r], " in row ", r, " is outside [0, ", classes,
          ") for ", what, " ", input.shape());
}

Tensor reduce_losses(const Tensor& losses, Reduction reduction) {
  if (reduction == Reduction::none) return losses;
  NoGrad no_grad;
  const std::int64_t rows = losses.numel();
  // A column sum (the fixed tree over the rows), through the engine: no axes vector to allocate.
  const Tensor column = losses.reshape({rows, 1});
  Tensor total = sum_over(column, make_reduce_plan(column.shape(), 1u, false), 1.0);
  dispatch(total.dtype(), "loss", [&]<class T>() {
    combine_across_ranks(total.data<T>(), 1, "loss");
    if (reduction == Reduction::mean) total.data<T>()[0] *= static_cast<T>(reduction_scale(reduction, rows));
  });
  return total.reshape({});
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& labels, Reduction reduction) {
  check_class_labels("nll_loss", "log_probs", log_probs, labels);
  const std::int64_t batch = log_probs.size(0), classes = log_probs.size(1);
  Tensor losses = empty({batch}, log_probs.dtype());
  dispatch(log_probs.dtype(), "nll_loss", [&]<class T>() {
    const T* x = log_probs.data<T>();
    const std::int64_t* label = labels.data<std::int64_t>();
    T* loss = losses.data<T>();
    for (std::int64_t r = 0; r < batch; ++r) loss[r] = -x[r * classes + label[r]];
  });
  Tensor y = reduce_losses(losses, reduction);
  record("nll_loss", {log_probs, labels}, y, {}, [log_probs, labels, reduction](const Tensor& gy) {
    Tensor gx = grad_of(log_probs);
    const std::int64_t batch = log_probs.size(0), classes = log_probs.size(1);
    const double scale = reduction_scale(reduction, batch);
    dispatch(log_probs.dtype(), "nll_loss", [&]<class T>() {
      const T* g = gy.data<T>();
      const std::int64_t* label = labels.data<std::int64_t>();
      T* d = gx.data<T>();
      for (std::int64_t r = 0; r < batch; ++r)
        d[r * classes + label[r]] -= static_cast<T>(scale * g[reduction == Reduction::none ? r : 0]);
    });
  });
  return y;
}

}  // namespace tg
