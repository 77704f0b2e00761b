// MomentTracer: watch a network self-normalise (or not), layer by layer, while it trains.
//
//   nn::MomentTracer tracer({.every = 10, .run = "snn"});
//   tracer.attach(model);
//   for (...) {
//     Tensor loss = cross_entropy(model(x), y);
//     opt.zero_grad();
//     backward(loss);
//     tracer.step();          // after backward, before the optimizer changes the weights
//     opt.step();
//   }
//   tracer.write_csv("trace.csv");
//
// On every traced step it writes one row per traced module (by default every module without
// children: Linear, SELU, BatchNorm1d, ...):
//   mean, var   the moments of the module's output over the batch and all units (the paper's μ, ν)
//   outside     the fraction of units whose own (mean, var) over the batch lies outside Theorem 1's
//               μ ∈ [−0.1, 0.1], ν ∈ [0.8, 1.5] (TraceOptions::domain)
//   omega_*, tau_*   Linear only: mean, std, min and max over output units i of ω_i = Σ_j W_ij and
//               τ_i = Σ_j W_ij², the weight sums the moment map g depends on (docs/paper.md §4)
//   weight_grad_norm Linear only: ‖∂loss/∂W‖ (Frobenius)
//   grad_norm   ‖∂loss/∂output‖ — vanishing or exploding gradients show here (a backward hook)
// Values that don't apply are empty in the CSV (NaN in TraceRow).
//
// Note [What tracing costs]
// ~~~~~~~~~~~~~~~~~~~~~~~~~
// The tracer's hooks are registered only for the steps it records: attach() and step() arm the
// modules when the coming step is a traced one and disarm them when it is not. A model that is
// not attached — or attached, between two traced steps — has no hooks at all, so it runs exactly
// the code it runs without a tracer. On a traced step each traced module's output is read twice
// (per-unit mean, then variance), each backward hook adds one identity record and a copy of the
// output gradient (Note [Backward hooks] in module.h), and step() reads every Linear weight and its
// gradient once. All of it is parallel_for over units, in double, with per-unit results combined
// in order (same bits for any thread count). docs/autograd.md gives the measured cost.
// Only forward passes that train — training mode, recording on — are traced: an evaluation in
// eval() mode or a loss computed under NoGrad leaves the step's numbers alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/moments.h"
#include "nn/module.h"

namespace tg::nn {

struct TraceOptions {
  std::int64_t every = 1;  ///< trace steps 0, every, 2·every, ...
  std::int64_t first_step = 0;  ///< the number of the first step(), e.g. the steps a resumed run already took
  std::string run = "";    ///< a label for every row, e.g. "snn" or "batchnorm"
  bool gradients = true;   ///< also trace ‖∂loss/∂output‖ through backward hooks
  /// Ω for the `outside` column; only its μ and ν bounds are used.
  moments::Domain domain = {};
  /// Which modules to trace, by path ("3") and module; empty: every module without children.
  std::function<bool(const std::string& path, const Module& module)> select = nullptr;
};

/// One module on one traced step. See the header comment for the columns.
struct TraceRow {
  std::string run;
  std::int64_t step = 0;
  std::string layer, type;
  double mean, var, outside;
  double omega_mean, omega_std, omega_min, omega_max;
  double tau_mean, tau_std, tau_min, tau_max;
  double weight_grad_norm, grad_norm;
};

class MomentTracer {
 public:
  explicit MomentTracer(TraceOptions options = {});
  ~MomentTracer();  ///< detaches
  MomentTracer(const MomentTracer&) = delete;
  MomentTracer& operator=(const MomentTracer&) = delete;

  /// Chooses the traced modules of `model` (which must outlive the tracer or a detach()); one
  /// model per tracer. Hooks are registered when the current step is traced.
  void attach(Module& model);
  /// Removes every hook; the model is then exactly as it was. Rows are kept.
  void detach();
  bool attached() const { return model_ != nullptr; }

  /// Ends the current step: on a traced step, adds one row per traced module, then advances.
  /// Call it after backward (gradients are read) and before the optimizer updates the weights.
  void step();
  std::int64_t current_step() const { return step_; }
  bool tracing() const { return step_ % options_.every == 0; }

  const std::vector<TraceRow>& rows() const { return rows_; }
  /// Writes the rows as CSV, atomically (the file appears whole or not at all).
  void write_csv(const std::string& path) const;

  /// The CSV header line (without newline) and one row formatted as CSV.
  static std::string csv_header();
  static std::string csv_row(const TraceRow& row);

 private:
  struct Layer {
    std::string path;
    Module* module;
    std::vector<int> hooks = {};
    bool seen = false;  // a training-mode forward reached it on this step
    double mean = 0, var = 0, outside = 0, grad_norm = 0;
    bool has_grad = false;
  };
  void arm();
  void disarm();
  void record_output(Layer& layer, const Tensor& output);

  TraceOptions options_;
  Module* model_ = nullptr;
  std::vector<Layer> layers_;
  bool armed_ = false;
  std::int64_t step_ = 0;
  std::vector<TraceRow> rows_;
};

/// Writes the rows of several tracers (e.g. one per network) to one CSV, atomically.
void write_trace_csv(const std::string& path, const std::vector<const MomentTracer*>& tracers);

}  // namespace tg::nn
