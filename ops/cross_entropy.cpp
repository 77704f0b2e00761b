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
#include "autograd/tape.h"
#include "ops/loss.h"
#include "ops/loss_common.h"
#include "ops/softmax_kernels.h"
#include "tensor/parallel.h"

namespace tg::kernels {

/// Rows [0, rows) of logits x [rows, classes]: m = row max, l = log Σ exp(x − m) and
/// loss = l − (x[label] − m).
template <class Arch, class T>
void cross_entropy_forward(const T* x, const std::int64_t* label, std::int64_t rows, std::int64_t classes, T* m, T* l,
                           T* loss) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* row = x + r * classes;
    m[r] = row_max<Arch>(row, classes);
    l[r] = log_sum_exp_shifted<Arch>(row, m[r], classes);
    loss[r] = l[r] - (row[label[r]] - m[r]);
  }
}
TG_KERNEL(cross_entropy_forward)

/// One row: gx[c] += s · exp((x[c] − m) − l), then gx[label] −= s.
template <class Arch, class T>
void cross_entropy_backward(const T* x, T m, T l, std::int64_t label, T s, T* gx, std::int64_t n) {
  using B = simd::Batch<T, Arch>;
  const B mb(m), lb(l), sb(s);
  simd::map<Arch>(n, [&](const B& v, const B& g) { return xsimd::fma(sb, xsimd::exp((v - mb) - lb), g); }, gx, x, gx);
  gx[label] -= s;
}
TG_KERNEL(cross_entropy_backward)

}  // namespace tg::kernels

#if TG_OP_PASS
namespace tg {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, Reduction reduction) {
  check_class_labels("cross_entropy", "logits", logits, labels);
  const std::int64_t batch = logits.size(0), classes = logits.size(1);
  Tensor shift = empty({batch}, logits.dtype()), log_sum = empty({batch}, logits.dtype());
  Tensor losses = empty({batch}, logits.dtype());
  dispatch(logits.dtype(), "cross_entropy", [&]<class T>() {
    simd::with_isa([&]<class Arch>() {
      const T* x = logits.data<T>();
      const std::int64_t* label = labels.data<std::int64_t>();
      parallel_for(batch, [&](std::int64_t b, std::int64_t e) {
        kernels::cross_entropy_forward<Arch>(x + b * classes, label + b, e - b, classes, shift.data<T>() + b,
                                             log_sum.data<T>() + b, losses.data<T>() + b);
      }, classes * 8);
    });
  });
  Tensor y = reduce_losses(losses, reduction);
  record("cross_entropy", {logits, labels}, y, {shift, log_sum}, [logits, labels, shift, log_sum, reduction](const Tensor& gy) {
    Tensor gx = grad_of(logits);
    const std::int64_t batch = logits.size(0), classes = logits.size(1);
    const double scale = reduction_scale(reduction, batch);
    dispatch(logits.dtype(), "cross_entropy", [&]<class T>() {
      simd::with_isa([&]<class Arch>() {
        const T* x = logits.data<T>();
        const T* m = shift.data<T>();
        const T* l = log_sum.data<T>();
        const T* g = gy.data<T>();
        const std::int64_t* label = labels.data<std::int64_t>();
        T* d = gx.data<T>();
        parallel_for(batch, [&](std::int64_t b, std::int64_t e) {
          for (std::int64_t r = b; r < e; ++r) {
            const T s = static_cast<T>(scale * g[reduction == Reduction::none ? r : 0]);
            kernels::cross_entropy_backward<Arch>(x + r * classes, m[r], l[r], label[r], s, d + r * classes, classes);
          }
        }, classes * 8);
      });
    });
  });
  return y;
}

}  // namespace tg
#endif
