#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <vector>

#include "ops/reduce.h"

namespace tg {
namespace {

// Checks labels int64 [N] with N = the rows of `predictions`.
void check_labels(const Tensor& predictions, const Tensor& labels, const char* op) {
  check(predictions.defined() && labels.defined(), op, ": predictions ", describe(predictions), ", labels ",
        describe(labels), ": both must be defined");
  check(labels.dtype() == DType::int64 && labels.dim() == 1 && predictions.dim() >= 1 &&
            predictions.size(0) == labels.size(0),
        op, ": predictions ", describe(predictions), ", labels ", describe(labels),
        ": expected int64 labels [N] for predictions with N rows");
}

// Predicted class ids int64 [N]: the predictions themselves, or each row's first argmax of scores [N, C].
Tensor predicted_ids(const Tensor& predictions, const char* op) {
  if (predictions.dtype() == DType::int64 && predictions.dim() == 1) return predictions;
  check(predictions.dtype() != DType::int64 && predictions.dim() == 2 && predictions.size(1) > 0, op,
        ": predictions ", describe(predictions), ": expected scores [N, C] (float, C ≥ 1) or class ids [N] (int64)");
  return argmax(predictions, 1);
}

// The rank formula of roc_auc on one score column: rows where positive[i] against the rest,
// with P, Q ≥ 1 (checked by the caller).
double rank_auc(std::span<const double> score, const std::vector<bool>& positive) {
  const std::size_t n = score.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
  double positive_rank_sum = 0, positives = 0;
  for (std::size_t first = 0; first < n;) {
    std::size_t last = first;  // [first, last] is one run of tied scores
    while (last + 1 < n && score[order[last + 1]] == score[order[first]]) ++last;
    const double mean_rank = (static_cast<double>(first + last) + 2) / 2;  // ranks are 1-based
    for (std::size_t k = first; k <= last; ++k)
      if (positive[order[k]]) positive_rank_sum += mean_rank, ++positives;
    first = last + 1;
  }
  const double negatives = static_cast<double>(n) - positives;
  return (positive_rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

}  // namespace

double accuracy(const Tensor& predictions, const Tensor& labels) {
  check_labels(predictions, labels, "accuracy");
  check(labels.numel() > 0, "accuracy: predictions ", describe(predictions), ": no examples to score");
  const Tensor ids = predicted_ids(predictions, "accuracy");
  const std::int64_t* p = ids.data<std::int64_t>();
  const std::int64_t* y = labels.data<std::int64_t>();
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < labels.numel(); ++i) correct += p[i] == y[i];
  return static_cast<double>(correct) / static_cast<double>(labels.numel());
}

Tensor confusion_matrix(const Tensor& predictions, const Tensor& labels, std::int64_t num_classes) {
  check_labels(predictions, labels, "confusion_matrix");
  check(num_classes >= 0, "confusion_matrix: num_classes is ", num_classes, "; give 0 (infer) or a class count");
  const Tensor ids = predicted_ids(predictions, "confusion_matrix");
  const std::int64_t* p = ids.data<std::int64_t>();
  const std::int64_t* y = labels.data<std::int64_t>();
  const std::int64_t n = labels.numel();
  std::int64_t classes = num_classes;
  if (classes == 0 && predictions.dim() == 2) classes = predictions.size(1);
  if (classes == 0)
    for (std::int64_t i = 0; i < n; ++i) classes = std::max({classes, y[i] + 1, p[i] + 1});
  for (std::int64_t i = 0; i < n; ++i)
    check(y[i] >= 0 && y[i] < classes && p[i] >= 0 && p[i] < classes, "confusion_matrix: row ", i, " has label ", y[i],
          " and prediction ", p[i], ", outside the ", classes, " classes [0, ", classes, ")");
  Tensor counts = zeros({classes, classes}, DType::int64);
  std::int64_t* c = counts.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) ++c[y[i] * classes + p[i]];
  return counts;
}

double roc_auc(const Tensor& scores, const Tensor& labels) {
  check_labels(scores, labels, "roc_auc");
  check(scores.dtype() != DType::int64 && (scores.dim() == 1 || (scores.dim() == 2 && scores.size(1) >= 2)),
        "roc_auc: scores ", describe(scores), ": expected float scores [N] (binary) or [N, C] with C ≥ 2");
  const std::int64_t n = labels.numel(), columns = scores.dim() == 2 ? scores.size(1) : 1;
  const std::int64_t classes = std::max<std::int64_t>(columns, 2);
  const std::vector<double> all = scores.to_vector();
  const std::int64_t* y = labels.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    check(y[i] >= 0 && y[i] < classes, "roc_auc: label ", y[i], " at row ", i, " is outside the ", classes,
          " classes of scores ", describe(scores));
    for (std::int64_t j = 0; j < columns; ++j)
      check(!std::isnan(all[i * columns + j]), "roc_auc: score NaN at row ", i, ", column ", j, " of ", describe(scores));
  }

  // Binary data has one score column to rank (class 1's); one-vs-rest ranks every column.
  const std::int64_t first_class = classes == 2 ? 1 : 0;
  double sum = 0;
  std::vector<double> column(static_cast<std::size_t>(n));
  std::vector<bool> positive(static_cast<std::size_t>(n));
  for (std::int64_t c = first_class; c < classes; ++c) {
    const std::int64_t j = columns == 1 ? 0 : c;
    std::int64_t positives = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      column[i] = all[i * columns + j];
      positive[i] = y[i] == c;
      positives += y[i] == c;
    }
    check(positives > 0 && positives < n, "roc_auc: ", positives == 0 ? "no" : "every", " row of labels ",
          describe(labels), " is class ", c, ", so its ROC AUC is undefined");
    sum += rank_auc(column, positive);
  }
  return sum / static_cast<double>(classes - first_class);
}

}  // namespace tg
