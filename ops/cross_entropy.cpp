// Cross-entropy of logits [batch, classes] against int64 labels [batch], fused.
//   forward : m_r = max_c x[r, c],  l_r = log Σ_c exp(x[r, c] − m_r)       (stable: no overflow)
//             loss_r = l_r − (x[r, label_r] − m_r), then reduced (mean over rows, sum, or none)
//   backward: gx[r, c] += s_r · (exp((x[r, c] − m_r) − l_r) − [c = label_r])  (softmax − one-hot)
//             s_r = gy / batch (mean), gy (sum), gy[r] (none)
//   saves   : m and l, two numbers per row. The softmax is recomputed from the logits (an input
//             the record keeps anyway) in backward: 2·batch numbers saved instead of
//             batch·classes, for one more exp per logit. Subtracting m before l keeps the
//             difference exact for large logits, as in log_softmax.
//   fused   : every training step ends here; the composite log_softmax → nll_loss writes and
//             saves a [batch, classes] tensor and walks it three more times. The composite is
//             the test oracle.
#include <xsimd/xsimd.hpp>

#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"

namespace tg::kernels {

/// One row: gx[c] += s · exp((x[c] − m) − l), then gx[label] −= s.
template <class T>
void cross_entropy_backward(const T* x, T m, T l, std::int64_t label, T s, T* gx, std::int64_t n) {
  using B = xsimd::batch<T>;
  std::int64_t i = 0;
  for (; i + static_cast<std::int64_t>(B::size) <= n; i += B::size) {
    const B p = xsimd::exp((B::load_unaligned(x + i) - B(m)) - B(l));
    xsimd::fma(B(s), p, B::load_unaligned(gx + i)).store_unaligned(gx + i);
  }
  for (; i < n; ++i) gx[i] += s * std::exp((x[i] - m) - l);
  gx[label] -= s;
}

}  // namespace tg::kernels

namespace tg {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction) {
  check_class_labels("cross_entropy", "logits", logits, labels);
  const std::int64_t batch = logits.size(0), classes = logits.size(1);
  Tensor shift = empty({batch}, logits.dtype()), log_sum = empty({batch}, logits.dtype());
  Tensor losses = empty({batch}, logits.dtype());
  dispatch(logits.dtype(), "cross_entropy", [&]<class T>() {
    const T* x = logits.data<T>();
    const std::int64_t* label = labels.data<std::int64_t>();
    T* m = shift.data<T>();
    T* l = log_sum.data<T>();
    T* loss = losses.data<T>();
    parallel_for(batch, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t r = b; r < e; ++r) {
        const T* row = x + r * classes;
        m[r] = kernels::row_max(row, classes);
        l[r] = kernels::log_sum_exp_shifted(row, m[r], classes);
        loss[r] = l[r] - (row[label[r]] - m[r]);
      }
    }, classes * 8);
  });
  Tensor y = reduce_losses(losses, reduction);
  record("cross_entropy", {logits, labels}, y, {shift, log_sum}, [logits, labels, shift, log_sum, reduction](const Tensor& gy) {
    Tensor gx = grad_of(logits);
    const std::int64_t batch = logits.size(0), classes = logits.size(1);
    const double scale = reduction_scale(reduction, batch);
    dispatch(logits.dtype(), "cross_entropy", [&]<class T>() {
      const T* x = logits.data<T>();
      const T* m = shift.data<T>();
      const T* l = log_sum.data<T>();
      const T* g = gy.data<T>();
      const std::int64_t* label = labels.data<std::int64_t>();
      T* d = gx.data<T>();
      parallel_for(batch, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t r = b; r < e; ++r) {
          const T s = static_cast<T>(scale * g[reduction == Reduction::none ? r : 0]);
          kernels::cross_entropy_backward(x + r * classes, m[r], l[r], label[r], s, d + r * classes, classes);
        }
      }, classes * 8);
    });
  });
  return y;
}

}  // namespace tg
