#include <sstream>

#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/loss.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "tensor/storage.h"
#include "support.h"

using namespace tg;

TEST_CASE("ops record only when an input requires a gradient") {
  tape().clear();
  Tensor x = tensor({1, -1});
  selu(x);
  CHECK(tape().size() == 0);
  x.requires_grad(true);
  Tensor y = selu(x);
  CHECK(tape().size() == 1);
  CHECK(!y.is_leaf());
  CHECK(y.requires_grad());
  {
    NoGrad guard;
    Tensor z = selu(x);
    CHECK(!z.requires_grad());
  }
  CHECK(tape().size() == 1);
  CHECK(grad_enabled());
  tape().clear();
}

TEST_CASE("backward runs the records in reverse, then clears the tape") {
  tape().clear();
  Tensor x = tensor({0.3, -0.7}, DType::float64);
  x.requires_grad(true);
  Tensor y = selu(selu(x)).reshape({2, 1});
  CHECK(tape().size() == 3);
  backward(y, ones({2, 1}, DType::float64));
  CHECK(tape().size() == 0);
  CHECK(x.grad().defined());
  CHECK(!y.grad().defined());  // an intermediate's gradient is released
  test::require_gradcheck([](const std::vector<Tensor>& in) { return selu(selu(in[0])); }, {x});
}

TEST_CASE("backward with retain_tape keeps the records; gradients accumulate until zero_grad") {
  tape().clear();
  Tensor x = tensor({2.0}, DType::float64);
  x.requires_grad(true);
  Tensor y = selu(x);
  backward(y, Tensor(), true);
  CHECK(tape().size() == 1);
  backward(y);
  CHECK(x.grad().at({0}) == Approx(2 * 1.0507009873554805));
  x.zero_grad();
  CHECK(!x.grad().defined());
}

TEST_CASE("backward rejects bad roots and gradients with shapes") {
  tape().clear();
  Tensor x = tensor({1, 2});
  REQUIRE_THROWS_WITH(backward(x), Catch::Contains("backward") && Catch::Contains("does not require"));
  x.requires_grad(true);
  Tensor y = selu(x);
  REQUIRE_THROWS_WITH(backward(y), Catch::Contains("non-scalar") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(backward(y, ones({3})), Catch::Contains("[3]") && Catch::Contains("[2]"));
  tape().clear();
}

TEST_CASE("the tape prints as text and as Graphviz DOT") {
  tape().clear();
  Tensor w = tensor({0.5, -0.5});
  w.requires_grad(true).set_name("w");
  Tensor h = selu(w).set_name("h");
  Tensor y = selu(h.reshape({1, 2}));
  (void)y;
  std::ostringstream text, dot;
  tape().dump(text);
  tape().dump_dot(dot);
  CHECK(text.str().find("tape: 3 records") != std::string::npos);
  CHECK(text.str().find("selu") != std::string::npos);
  CHECK(text.str().find("w[2]  ->  h[2]") != std::string::npos);
  CHECK(text.str().find("reshape") != std::string::npos);
  CHECK(dot.str().rfind("digraph tape {", 0) == 0);
  CHECK(dot.str().find("\"w\" -> \"#0\"") != std::string::npos);
  // An op's output is declared as a node of its own, not glued to the edge as an edge label.
  CHECK(dot.str().find("\n  \"h\" [shape=ellipse") != std::string::npos);
  CHECK(dot.str().find("-> \"h\";\n") != std::string::npos);
  CHECK(tape().saved_bytes() == 2 * 2 * sizeof(float));
  tape().clear();
}

// ---- Note [Records nothing can reach] and Note [A backward that throws] ----

namespace {
// One evaluation pass of a small SELU net, without NoGrad; returns its loss's value only.
double eval_pass(const Tensor& x, const Tensor& w1, const Tensor& w2, const Tensor& labels) {
  Tensor h = selu(matmul(x, w1));
  Tensor logits = matmul(h, w2);
  return cross_entropy(logits, labels).item();
}
}  // namespace

TEST_CASE("1,000 evaluation passes without NoGrad hold one pass's records and memory at most") {
  tape().clear();
  Generator gen(3);
  const Tensor x = randn({64, 32}, gen), labels = tg::labels(std::vector<std::int64_t>(64, 1));
  Tensor w1 = randn({32, 128}, gen).requires_grad(true), w2 = randn({128, 10}, gen).requires_grad(true);
  eval_pass(x, w1, w2, labels);
  const std::size_t records_per_pass = 4;  // matmul, selu, matmul, cross_entropy
  const std::size_t start_bytes = allocator_stats().bytes_in_use;
  std::size_t most_records = 0, most_bytes = 0;
  for (int pass = 0; pass < 1000; ++pass) {
    eval_pass(x, w1, w2, labels);
    most_records = std::max(most_records, tape().size());
    most_bytes = std::max(most_bytes, allocator_stats().bytes_in_use);
  }
  INFO("tape records at most " << most_records << "; bytes in use: start " << start_bytes << ", peak " << most_bytes);
  CHECK(most_records <= records_per_pass);
  // One pass's activations: h [64, 128] and logits [64, 10] floats plus a few scalars and rows.
  const std::size_t one_pass = (64 * 128 + 64 * 10) * sizeof(float) + 4096;
  CHECK(most_bytes <= start_bytes + one_pass);
  // Training still works afterwards, through the records of the live pass only.
  Tensor loss = cross_entropy(matmul(selu(matmul(x, w1)), w2), labels);
  backward(loss);
  CHECK(w1.grad().defined());
  CHECK(tape().size() == 0);
}

TEST_CASE("a record stays while a later record or the program still holds its output") {
  tape().clear();
  Tensor x = tensor({0.5, -0.5}, DType::float64).requires_grad(true);
  Tensor kept = selu(x);       // held by the program
  { Tensor gone = exp(kept); } // dies here: nothing refers to exp's output
  Tensor after = tanh(x);      // recording drops the dead exp record from the end
  CHECK(tape().size() == 2);
  CHECK(tape().records()[0].op == std::string("selu"));
  CHECK(tape().records()[1].op == std::string("tanh"));
  backward(sum(kept) + sum(after));
  CHECK(x.grad().defined());
}

TEST_CASE("backward a second time through a cleared tape is an error that says so") {
  tape().clear();
  Tensor x = tensor({2.0}, DType::float64).requires_grad(true);
  Tensor y = selu(x);
  backward(y);
  const double g = x.grad().item();
  CHECK_THROWS_WITH(backward(y), Catch::Contains("backward") && Catch::Contains("no longer on the tape") &&
                                     Catch::Contains("retain_tape"));
  CHECK(x.grad().item() == g);
}

TEST_CASE("a backward that throws clears the tape and leaves every gradient as it was") {
  tape().clear();
  Tensor a = tensor({1.0, 2.0}, DType::float64).requires_grad(true);
  Tensor b = tensor({3.0, 4.0}, DType::float64).requires_grad(true);
  backward(sum(mul(a, b)));  // a.grad = b, b.grad = a
  const std::vector<double> ga = a.grad().to_vector(), gb = b.grad().to_vector();
  Tensor bad = mul(a, b);
  // A record whose closure throws after the mul below it in the reverse order has run.
  Tensor y = tensor({0.0, 0.0}, DType::float64);
  record("throws", {bad}, y, {}, [](const Tensor&) { throw Error("throws: on purpose"); });
  Tensor loss = sum(add(y, mul(a, a)));  // a gets a contribution before "throws" runs
  CHECK_THROWS_WITH(backward(loss), Catch::Contains("on purpose"));
  CHECK(tape().size() == 0);
  CHECK(a.grad().to_vector() == ga);
  CHECK(b.grad().to_vector() == gb);
}

TEST_CASE("ops on an undefined tensor are errors, not crashes") {
  const Tensor undefined;
  CHECK_THROWS_WITH(relu(undefined), Catch::Contains("relu") && Catch::Contains("undefined"));
  CHECK_THROWS_WITH(exp(undefined), Catch::Contains("exp") && Catch::Contains("undefined"));
  CHECK_THROWS_WITH(add(undefined, tensor({1})), Catch::Contains("add") && Catch::Contains("undefined"));
  CHECK_THROWS_WITH(sum(undefined), Catch::Contains("sum") && Catch::Contains("undefined"));
  CHECK_THROWS_WITH(matmul(undefined, undefined), Catch::Contains("undefined"));
  CHECK_THROWS_WITH(undefined.shape(), Catch::Contains("undefined"));
}
