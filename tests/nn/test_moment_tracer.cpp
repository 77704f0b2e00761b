#include <cmath>
#include <fstream>
#include <sstream>

#include "autograd/tape.h"
#include "nn/moment_tracer.h"
#include "nn/nn.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {

// A module whose output is a fixed tensor, so the expected moments are known by hand.
class Fixed : public nn::Module {
 public:
  explicit Fixed(Tensor out) : out_(std::move(out)) {}
  Tensor forward(const Tensor&) override { return out_; }
  std::string type() const override { return "Fixed"; }

 private:
  Tensor out_;
};

std::shared_ptr<nn::Sequential> make_net(std::int64_t in, std::int64_t hidden, std::int64_t out, std::uint64_t seed) {
  Generator gen(seed);
  auto net = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(in, hidden, gen), std::make_shared<nn::SELU>(),
      std::make_shared<nn::Linear>(hidden, out, gen)});
  net->to(DType::float64);
  return net;
}

const nn::TraceRow& row_of(const nn::MomentTracer& tracer, std::int64_t step, const std::string& layer) {
  for (const nn::TraceRow& r : tracer.rows())
    if (r.step == step && r.layer == layer) return r;
  FAIL("no row for step " << step << ", layer " << layer);
  throw;
}

// One training-like step: forward, backward of Σ output, tracer.step().
void run_step(nn::Module& net, const Tensor& x, nn::MomentTracer& tracer) {
  backward(sum(net(x)));
  tracer.step();
  net.zero_grad();
}

}  // namespace

TEST_CASE("the tracer's mean, variance and outside fraction match a hand computation") {
  // Columns are units: unit 0 has mean 0, var 1 (inside Ω); unit 1 mean 0.5 (outside);
  // unit 2 mean 0, var 4 (outside).
  Tensor out = tensor({-1, 0.5, -2, 1, 0.5, 2, -1, 0.5, -2, 1, 0.5, 2}, {4, 3}, DType::float64);
  Fixed layer(out);
  nn::MomentTracer tracer;
  tracer.attach(layer);
  layer(Tensor());
  tracer.step();
  REQUIRE(tracer.rows().size() == 1);
  const nn::TraceRow& r = tracer.rows()[0];
  CHECK(r.layer == "Fixed");  // a root module is named by its type
  CHECK(r.mean == Approx(0.5 / 3));
  // Over all 12 values: E[x²] = (4·1 + 4·0.25 + 4·4) / 12 = 1.75, so var = 1.75 − (1/6)².
  CHECK(r.var == Approx(1.75 - 1.0 / 36));
  CHECK(r.outside == Approx(2.0 / 3));
  CHECK(std::isnan(r.omega_mean));  // not a Linear
  CHECK(std::isnan(r.grad_norm));   // no backward reached it
}

TEST_CASE("the tracer's per-layer statistics agree with tapegrad's own reductions") {
  auto net = make_net(4, 6, 3, 1);
  Tensor x = test::random_tensor({32, 4}, DType::float64, 5, 2.0, 0.5);
  Tensor hidden;
  const int peek = (*net)[1].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) { hidden = y.detach(); });
  nn::MomentTracer tracer({.run = "unit"});
  tracer.attach(*net);
  run_step(*net, x, tracer);
  (*net)[1].remove_hook(peek);

  REQUIRE(tracer.rows().size() == 3);
  NoGrad no_grad;
  const nn::TraceRow& act = row_of(tracer, 0, "1");
  CHECK(act.run == "unit");
  CHECK(act.type == "SELU");
  CHECK(act.mean == Approx(mean(hidden).item()).epsilon(1e-12));
  CHECK(act.var == Approx(var(hidden, {0, 1}).item()).epsilon(1e-12));
  const std::vector<double> unit_mean = mean(hidden, {0}).to_vector(), unit_var = var(hidden, {0}).to_vector();
  int outside = 0;
  for (std::size_t u = 0; u < unit_mean.size(); ++u)
    outside += std::abs(unit_mean[u]) > 0.1 || unit_var[u] < 0.8 || unit_var[u] > 1.5;
  CHECK(act.outside == Approx(outside / 6.0));

  const nn::TraceRow& last = row_of(tracer, 0, "2");
  CHECK(last.grad_norm == Approx(std::sqrt(32.0 * 3)));  // ∂Σy/∂y is all ones
  const auto& w = dynamic_cast<nn::Linear&>((*net)[2]).weight;
  const std::vector<double> omega = sum(w, {1}).to_vector(), tau = sum(square(w), {1}).to_vector();
  CHECK(last.omega_mean == Approx((omega[0] + omega[1] + omega[2]) / 3));
  CHECK(last.omega_min == Approx(std::min({omega[0], omega[1], omega[2]})));
  CHECK(last.tau_max == Approx(std::max({tau[0], tau[1], tau[2]})));
  const double tau_mean = (tau[0] + tau[1] + tau[2]) / 3;
  double tau_var = 0;
  for (double t : tau) tau_var += (t - tau_mean) * (t - tau_mean) / 3;
  CHECK(last.tau_std == Approx(std::sqrt(tau_var)));
  CHECK(std::isnan(act.weight_grad_norm));
  // The first layer's weight gradient, recomputed: ∂Σy/∂W1 = (∂Σy/∂z1)ᵀ·x.
  const nn::TraceRow& first = row_of(tracer, 0, "0");
  CHECK(first.weight_grad_norm > 0);
  CHECK(first.grad_norm > 0);
}

TEST_CASE("the tracer records every k-th step and adds nothing to the steps between") {
  auto net = make_net(4, 6, 3, 2);
  Tensor x = test::random_tensor({8, 4}, DType::float64);
  nn::MomentTracer tracer({.every = 3});
  tracer.attach(*net);
  for (int step = 0; step < 7; ++step) {
    tape().clear();
    Tensor loss = sum((*net)(x));
    // A traced step: linear, selu, linear, sum, plus one backward_hook record per traced module.
    // Between traced steps the modules have no hooks, so Linear→SELU runs fused (Note [Fused
    // Linear→activation in Sequential]): linear+selu, linear, sum — with the same bits.
    CHECK(tape().size() == (step % 3 == 0 ? 4u + 3u : 3u));
    backward(loss);
    tracer.step();
    net->zero_grad();
  }
  std::vector<std::int64_t> steps;
  for (const nn::TraceRow& r : tracer.rows()) steps.push_back(r.step);
  CHECK(steps == std::vector<std::int64_t>{0, 0, 0, 3, 3, 3, 6, 6, 6});
}

TEST_CASE("a detached tracer leaves the model exactly as it was") {
  auto net = make_net(4, 6, 3, 3);
  Tensor x = test::random_tensor({8, 4}, DType::float64);
  backward(sum((*net)(x)));
  const std::vector<double> reference = net->parameters()[0].grad().to_vector();
  net->zero_grad();

  nn::MomentTracer tracer;
  tracer.attach(*net);
  CHECK(tracer.attached());
  tracer.detach();
  CHECK(!tracer.attached());
  tape().clear();
  Tensor loss = sum((*net)(x));
  CHECK(tape().size() == 3);  // no hooks left: no backward_hook records, and Linear→SELU fused
  backward(loss);
  tracer.step();
  CHECK(tracer.rows().empty());
  CHECK(net->parameters()[0].grad().to_vector() == reference);
  net->zero_grad();

  // Attached, the gradients are the same too: hooks only read.
  tracer.attach(*net);
  backward(sum((*net)(x)));
  CHECK(net->parameters()[0].grad().to_vector() == reference);
  tracer.step();
  CHECK(tracer.rows().size() == 3);
}

namespace {
// Linear layers still report their weights; the SELU saw no training pass, and no gradient counts.
void check_only_weights(const nn::MomentTracer& tracer) {
  REQUIRE(tracer.rows().size() == 2);
  for (const nn::TraceRow& r : tracer.rows()) {
    CHECK(r.type == "Linear");
    CHECK(std::isnan(r.mean));
    CHECK(std::isnan(r.grad_norm));
    CHECK(!std::isnan(r.omega_mean));
  }
}
}  // namespace

TEST_CASE("an eval-mode pass doesn't count as the traced step, even with recording and backward") {
  auto net = make_net(4, 6, 3, 4);
  Tensor x = test::random_tensor({8, 4}, DType::float64);
  nn::MomentTracer tracer;
  tracer.attach(*net);
  net->eval();
  backward(sum((*net)(x)));  // recorded: the backward hooks run, and must leave the step alone
  tracer.step();
  check_only_weights(tracer);
}

TEST_CASE("a training-mode pass under NoGrad doesn't count as the traced step") {
  auto net = make_net(4, 6, 3, 4);
  Tensor x = test::random_tensor({8, 4}, DType::float64);
  nn::MomentTracer tracer;
  tracer.attach(*net);
  {
    NoGrad no_grad;
    (*net)(x);
  }
  tracer.step();
  check_only_weights(tracer);
}

TEST_CASE("the tracer selects modules with a predicate") {
  auto net = make_net(4, 6, 3, 5);
  nn::MomentTracer tracer({.select = [](const std::string&, const nn::Module& m) { return m.type() == "SELU"; }});
  tracer.attach(*net);
  run_step(*net, test::random_tensor({8, 4}, DType::float64), tracer);
  REQUIRE(tracer.rows().size() == 1);
  CHECK(tracer.rows()[0].layer == "1");
}

TEST_CASE("the trace CSV has a header, one line per row, and empty fields for what does not apply") {
  auto snn = make_net(4, 6, 3, 6), other = make_net(4, 6, 3, 7);
  Tensor x = test::random_tensor({8, 4}, DType::float64);
  nn::MomentTracer a({.run = "snn"}), b({.run = "other"});
  a.attach(*snn);
  b.attach(*other);
  run_step(*snn, x, a);
  run_step(*other, x, b);
  const test::TempDir dir;
  nn::write_trace_csv(dir / "trace.csv", {&a, &b});
  std::ifstream in(dir / "trace.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 1 + 3 + 3);
  CHECK(lines[0] == nn::MomentTracer::csv_header());
  CHECK(lines[1].rfind("snn,0,0,Linear,", 0) == 0);
  CHECK(lines[2].rfind("snn,0,1,SELU,", 0) == 0);
  CHECK(lines[4].rfind("other,0,0,Linear,", 0) == 0);
  // SELU: no ω, τ or weight gradient, so fields 7–15 are empty; its grad_norm (16) is not.
  std::vector<std::string> fields;
  std::stringstream selu_line(lines[2]);
  for (std::string field; std::getline(selu_line, field, ',');) fields.push_back(field);
  REQUIRE(fields.size() == 17);
  for (std::size_t f = 7; f <= 15; ++f) CHECK(fields[f].empty());
  CHECK(!fields[4].empty());
  CHECK(!fields[16].empty());
  const auto commas = [](const std::string& s) { return std::count(s.begin(), s.end(), ','); };
  for (const std::string& line : lines) CHECK(commas(line) == 16);
}

TEST_CASE("the tracer gives the same bits with one and two threads") {
  auto net = make_net(64, 512, 512, 8);  // 64 × 512 outputs: large enough to go parallel
  Tensor x = test::random_tensor({64, 64}, DType::float64);
  const std::vector<double> values = test::require_same_bits_across_threads([&] {
    nn::MomentTracer tracer;
    tracer.attach(*net);
    run_step(*net, x, tracer);
    std::vector<double> out;
    for (const nn::TraceRow& r : tracer.rows())
      for (double v : {r.mean, r.var, r.outside, r.omega_mean, r.omega_std, r.tau_mean, r.tau_std, r.weight_grad_norm,
                       r.grad_norm})
        if (!std::isnan(v)) out.push_back(v);
    return out;
  });
  REQUIRE(values.size() == 2 * 9 + 4);  // two Linear rows of 9 values, one SELU row of 4
}

TEST_CASE("the tracer rejects bad options naming itself") {
  REQUIRE_THROWS_WITH(nn::MomentTracer({.every = 0}), Catch::Contains("MomentTracer") && Catch::Contains("every"));
  REQUIRE_THROWS_WITH(nn::MomentTracer({.run = "a,b"}), Catch::Contains("MomentTracer"));
  auto net = make_net(2, 2, 2, 9);
  nn::MomentTracer tracer;
  tracer.attach(*net);
  REQUIRE_THROWS_WITH(tracer.attach(*net), Catch::Contains("MomentTracer") && Catch::Contains("already attached"));
}
