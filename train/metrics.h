// Classification metrics on whole tensors: accuracy, the confusion matrix and ROC AUC.
//
// `predictions` is either scores [N, C] (float32 or float64: logits, probabilities, anything whose
// largest entry is the predicted class — the first one on ties, as argmax) or predicted class ids
// int64 [N]; `labels` are int64 class ids [N]. Nothing here records on the tape.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

/// The fraction of rows whose predicted class is the label (N ≥ 1).
double accuracy(const Tensor& predictions, const Tensor& labels);

/// counts[t, p] = the number of rows of class t predicted as class p: int64 [C, C], true classes
/// down the rows as in scikit-learn. C is num_classes when given (every label and prediction must
/// be below it), else the scores' C, else the largest label or prediction + 1.
Tensor confusion_matrix(const Tensor& predictions, const Tensor& labels, std::int64_t num_classes = 0);

/// Area under the ROC curve, by the rank formula (Mann–Whitney U):
///   AUC = (Σ_{positives} rank − P(P+1)/2) / (P·Q),  P positives, Q negatives,
/// where tied scores share their mean rank — the area under the ROC curve drawn with a diagonal
/// step through each run of ties (the trapezoid rule), as scikit-learn's roc_auc_score computes it.
///   scores [N] with labels in {0, 1}: binary, class 1 positive.
///   scores [N, 2]: binary on column 1.
///   scores [N, C], C ≥ 3: one-vs-rest macro average, (1/C) Σ_c AUC(scores[:, c], labels == c) —
///     scikit-learn's multi_class="ovr", average="macro"; pass probabilities (softmax) to match it.
/// Every class scored must have at least one positive and one negative row; scores must not be NaN.
double roc_auc(const Tensor& scores, const Tensor& labels);

}  // namespace tg
