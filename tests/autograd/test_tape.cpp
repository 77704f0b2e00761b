#include <sstream>

#include "autograd/tape.h"
#include "ops/elementwise.h"
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
