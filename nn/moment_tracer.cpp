#include "nn/moment_tracer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "tensor/atomic_file.h"
#include "tensor/parallel.h"
#include "autograd/tape.h"
#include "nn/layers.h"

namespace tg::nn {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A tensor read as a matrix [rows, columns]: axis 0 against everything else (a 0-dim tensor is 1×1).
struct MatrixView {
  std::int64_t rows, columns;
};
MatrixView as_matrix(const Tensor& t) {
  if (t.dim() == 0) return {1, 1};
  const std::int64_t rows = t.size(0);
  return {rows, rows ? t.numel() / rows : 0};
}

// Per-column mean and (population) variance over the rows: each unit's moments over the batch.
// Threads split the columns; every column is summed in row order, so any thread count gives the
// same bits.
void column_moments(const Tensor& x, std::vector<double>& mean, std::vector<double>& var) {
  const MatrixView view = as_matrix(x);
  const std::int64_t rows = view.rows, columns = view.columns;  // not bindings: clang 14 cannot capture those
  mean.assign(static_cast<std::size_t>(columns), 0.0);
  var.assign(static_cast<std::size_t>(columns), 0.0);
  if (rows == 0) return;
  dispatch(x.dtype(), "moment_tracer", [&]<class T>() {
    const T* data = x.data<T>();
    parallel_for(columns, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t n = 0; n < rows; ++n)
        for (std::int64_t u = begin; u < end; ++u) mean[u] += data[n * columns + u];
      for (std::int64_t u = begin; u < end; ++u) mean[u] /= static_cast<double>(rows);
      for (std::int64_t n = 0; n < rows; ++n)  // second pass: no cancellation in E[x²] − E[x]²
        for (std::int64_t u = begin; u < end; ++u) {
          const double d = data[n * columns + u] - mean[u];
          var[u] += d * d;
        }
      for (std::int64_t u = begin; u < end; ++u) var[u] /= static_cast<double>(rows);
    }, 2 * rows);
  });
}

// Per-row Σ_j w_ij and Σ_j w_ij²: ω_i and τ_i of unit i for a weight [out_features, in_features].
void row_sums(const Tensor& w, std::vector<double>& sum, std::vector<double>& sum_sq) {
  const MatrixView view = as_matrix(w);
  const std::int64_t rows = view.rows, columns = view.columns;
  sum.assign(static_cast<std::size_t>(rows), 0.0);
  sum_sq.assign(static_cast<std::size_t>(rows), 0.0);
  dispatch(w.dtype(), "moment_tracer", [&]<class T>() {
    const T* data = w.data<T>();
    parallel_for(rows, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        // Four interleaved partial sums: one long chain of dependent adds would run at a quarter
        // of the speed. The order is fixed, so the bits don't depend on the thread count.
        const T* row = data + i * columns;
        double s[4] = {0, 0, 0, 0}, s2[4] = {0, 0, 0, 0};
        std::int64_t j = 0;
        for (; j + 4 <= columns; j += 4)
          for (int k = 0; k < 4; ++k) {
            const double v = row[j + k];
            s[k] += v;
            s2[k] += v * v;
          }
        for (; j < columns; ++j) {
          const double v = row[j];
          s[0] += v;
          s2[0] += v * v;
        }
        sum[i] = (s[0] + s[1]) + (s[2] + s[3]);
        sum_sq[i] = (s2[0] + s2[1]) + (s2[2] + s2[3]);
      }
    }, 2 * columns);
  });
}

double frobenius_norm(const Tensor& t) {
  std::vector<double> sum, sum_sq;
  row_sums(t, sum, sum_sq);
  double total = 0;
  for (double s : sum_sq) total += s;  // rows in order
  return std::sqrt(total);
}

struct Spread {
  double mean = kNaN, std = kNaN, min = kNaN, max = kNaN;
};
Spread spread(const std::vector<double>& v) {
  if (v.empty()) return {};
  Spread s{0, 0, v[0], v[0]};
  for (double x : v) {
    s.mean += x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size()));
  return s;
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Layer names go into a CSV unquoted; module paths are digits, letters, dots and underscores.
std::string csv_text(const std::string& s) {
  check(s.find_first_of(",\"\n") == std::string::npos, "MomentTracer: '", s, "' cannot be written unquoted in a CSV");
  return s;
}

}  // namespace

MomentTracer::MomentTracer(TraceOptions options) : options_(std::move(options)), step_(options_.first_step) {
  check(options_.every >= 1, "MomentTracer: every is ", options_.every, "; it must be at least 1");
  check(options_.first_step >= 0, "MomentTracer: first_step is ", options_.first_step, "; it must be >= 0");
  csv_text(options_.run);
}

MomentTracer::~MomentTracer() { detach(); }

void MomentTracer::attach(Module& model) {
  check(!model_, "MomentTracer: already attached; detach() first (one model per tracer)");
  for (auto& [path, module] : model.named_modules()) {
    const bool chosen = options_.select ? options_.select(path, *module) : module->children().empty();
    if (chosen) layers_.push_back(Layer{path.empty() ? module->type() : csv_text(path), module});
  }
  model_ = &model;
  if (tracing()) arm();
}

void MomentTracer::detach() {
  disarm();
  layers_.clear();
  model_ = nullptr;
}

// See Note [What tracing costs]: hooks exist only while the current step is a traced one.
void MomentTracer::arm() {
  if (armed_) return;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    layer.hooks.push_back(layer.module->register_forward_hook([this, i](Module& m, const Tensor&, const Tensor& out) {
      if (m.is_training() && grad_enabled()) record_output(layers_[i], out);  // evaluation passes don't train
    }));
    if (options_.gradients)
      layer.hooks.push_back(layer.module->register_backward_hook([this, i](Module&, const Tensor& grad_output) {
        if (!layers_[i].seen) return;  // the forward was an evaluation pass: it leaves the step alone
        layers_[i].grad_norm = frobenius_norm(grad_output);
        layers_[i].has_grad = true;
      }));
  }
  armed_ = true;
}

void MomentTracer::record_output(Layer& layer, const Tensor& output) {
  std::vector<double> mean, var;
  column_moments(output, mean, var);
  if (mean.empty()) return;
  const Spread means = spread(mean);
  const moments::Domain& region = options_.domain;
  double within = 0;  // Σ of the units' own variances
  std::int64_t outside = 0;
  for (std::size_t u = 0; u < mean.size(); ++u) {
    within += var[u];
    outside += mean[u] < region.mu_lo || mean[u] > region.mu_hi || var[u] < region.nu_lo || var[u] > region.nu_hi;
  }
  const double units = static_cast<double>(mean.size());
  layer.seen = true;
  layer.mean = means.mean;
  layer.var = within / units + means.std * means.std;  // law of total variance over all elements
  layer.outside = static_cast<double>(outside) / units;
}

void MomentTracer::disarm() {
  if (!armed_) return;
  for (Layer& layer : layers_) {
    for (int handle : layer.hooks) layer.module->remove_hook(handle);
    layer.hooks.clear();
  }
  armed_ = false;
}

void MomentTracer::step() {
  if (model_ && tracing()) {
    std::vector<double> omega, tau;
    for (Layer& layer : layers_) {
      const auto* lin = dynamic_cast<const Linear*>(layer.module);
      const bool seen = layer.seen, has_grad = layer.has_grad;
      layer.seen = layer.has_grad = false;  // every layer starts the next traced step afresh
      if (!seen && !lin) continue;
      TraceRow row{options_.run, step_, layer.path, layer.module->type(),
                   kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
      if (seen) row.mean = layer.mean, row.var = layer.var, row.outside = layer.outside;
      if (has_grad) row.grad_norm = layer.grad_norm;
      if (lin) {
        row_sums(lin->weight, omega, tau);
        const Spread o = spread(omega), t = spread(tau);
        row.omega_mean = o.mean, row.omega_std = o.std, row.omega_min = o.min, row.omega_max = o.max;
        row.tau_mean = t.mean, row.tau_std = t.std, row.tau_min = t.min, row.tau_max = t.max;
        if (const Tensor g = lin->weight.grad(); g.defined()) row.weight_grad_norm = frobenius_norm(g);
      }
      rows_.push_back(std::move(row));
    }
  }
  ++step_;
  if (!model_) return;
  if (tracing())
    arm();
  else
    disarm();
}

std::string MomentTracer::csv_header() {
  return "run,step,layer,type,mean,var,outside,omega_mean,omega_std,omega_min,omega_max,"
         "tau_mean,tau_std,tau_min,tau_max,weight_grad_norm,grad_norm";
}

std::string MomentTracer::csv_row(const TraceRow& r) {
  std::string line = cat(r.run, ",", r.step, ",", r.layer, ",", r.type);
  for (double v : {r.mean, r.var, r.outside, r.omega_mean, r.omega_std, r.omega_min, r.omega_max, r.tau_mean,
                   r.tau_std, r.tau_min, r.tau_max, r.weight_grad_norm, r.grad_norm}) {
    line += ',';  // not "," + csv_number(v): g++ 12 warns falsely (-Wrestrict) on that
    line += csv_number(v);
  }
  return line;
}

void MomentTracer::write_csv(const std::string& path) const { write_trace_csv(path, {this}); }

void write_trace_csv(const std::string& path, const std::vector<const MomentTracer*>& tracers) {
  std::string text = MomentTracer::csv_header() + "\n";
  for (const MomentTracer* tracer : tracers)
    for (const TraceRow& row : tracer->rows()) text += MomentTracer::csv_row(row) + "\n";
  write_file_atomically(path, text);
}

}  // namespace tg::nn
