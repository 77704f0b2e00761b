// Negative log-likelihood of log-probabilities [batch, classes] against int64 labels [batch].
//   forward : loss_r = −log_probs[r, label_r], then reduced (mean over rows, sum, or none)
//   backward: gx[r, label_r] −= s_r     s_r = gy / batch (mean), gy (sum), gy[r] (none)
//   saves   : nothing but the labels (an input); the values of log_probs are not needed.
// With log_softmax it is the composite that the fused cross_entropy is tested against.
#include <algorithm>

#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"
#include "tensor/parallel.h"

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
  const std::int64_t rows = losses.numel();
  Tensor total = empty({1}, losses.dtype());
  dispatch(total.dtype(), "loss", [&]<class T>() {
    // Segment sums in double, combined as the fixed tree of Note [Batch sums in a fixed tree], so
    // ranks holding subtrees combine to one process's value. (sum over axis 0 would not do: a
    // [rows, 1] column is a contiguous run, which sum adds in its blocks of kReduceBlock.)
    const T* loss = losses.data<T>();
    const auto add = [](double a, double b) { return a + b; };
    TreeSum<double> tree;
    for (std::int64_t r0 = 0; r0 < rows; r0 += kBatchSegment) {
      double segment = 0;
      for (std::int64_t r = r0; r < std::min(rows, r0 + kBatchSegment); ++r) segment += static_cast<double>(loss[r]);
      tree.push(segment, add);
    }
    double sum = tree.result(0.0, add);
    combine_across_ranks(&sum, 1, "loss");
    total.data<T>()[0] = static_cast<T>(sum * reduction_scale(reduction, rows));
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
