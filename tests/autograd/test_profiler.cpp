#include <memory>
#include <sstream>

#include "autograd/profiler.h"
#include "autograd/tape.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"
#include "support.h"

using namespace tg;

namespace {
const ProfileRow* find_row(const std::vector<ProfileRow>& rows, const std::string& op) {
  for (const ProfileRow& r : rows)
    if (r.op == op) return &r;
  return nullptr;
}
}  // namespace

TEST_CASE("the profiler charges a big matmul, not a tiny add, with the time") {
  Tensor a = test::random_tensor({256, 512}, DType::float32, 1).requires_grad(true);
  Tensor b = test::random_tensor({512, 512}, DType::float32, 2);
  Tensor c = test::random_tensor({4}, DType::float32, 3).requires_grad(true);
  Tensor d = test::random_tensor({4}, DType::float32, 4);
  // The times are wall clock: on a shared machine one attempt can lose the core inside the tiny add.
  // The counts must hold every time; the time shares in at least one of five attempts.
  bool shares_hold = false;
  for (int attempt = 0; attempt < 5 && !shares_hold; ++attempt) {
    a.zero_grad(), c.zero_grad();
    Profiler prof;
    Tensor big = matmul(a, b);
    Tensor tiny = add(c, d);
    backward(big, ones(big.shape()), /*retain_tape=*/true);  // keep the add's record for the next pass
    backward(tiny, ones(tiny.shape()));

    const std::vector<ProfileRow> rows = prof.rows();
    const ProfileRow* mm = find_row(rows, "matmul");
    const ProfileRow* plus = find_row(rows, "add");
    REQUIRE(mm);
    REQUIRE(plus);
    CHECK(mm->forward_calls == 1);
    CHECK(mm->backward_calls == 1);
    CHECK(plus->forward_calls == 1);
    CHECK(plus->backward_calls == 1);
    double total = 0;
    for (const ProfileRow& r : rows) total += r.total_ms();
    CHECK(total <= prof.wall_ms());
    // 67 MFLOP forward and as much again backward against 4 additions.
    shares_hold = rows.front().op == "matmul" && mm->forward_ms > 20 * plus->forward_ms &&
                  mm->backward_ms > 20 * plus->backward_ms && mm->total_ms() > 0.9 * total;
    INFO("attempt " << attempt << ": matmul " << mm->forward_ms << " + " << mm->backward_ms << " ms, add "
                    << plus->forward_ms << " + " << plus->backward_ms << " ms, total " << total << " ms");
  }
  CHECK(shares_hold);
}

TEST_CASE("the profiler counts a backward closure that calls other ops once, for its own record") {
  Tensor x = test::random_tensor({1000}, DType::float64).requires_grad(true);
  Profiler prof;
  Tensor y = mul_scalar(x, 3.0);  // its backward is mul_scalar(gy, 3), an op of its own
  backward(sum(y));
  const std::vector<ProfileRow> rows = prof.rows();
  const ProfileRow* scale = find_row(rows, "mul_scalar");
  REQUIRE(scale);
  CHECK(scale->forward_calls == 1);  // the backward's mul_scalar is not a second forward call
  CHECK(scale->backward_calls == 1);
  const ProfileRow* total = find_row(rows, "sum");
  REQUIRE(total);
  CHECK(total->backward_calls == 1);
  CHECK(!find_row(rows, "backward"));  // seeding the root's gradient is not an op
}

TEST_CASE("the profiler times ops under NoGrad, which record nothing") {
  Tensor x = test::random_tensor({64, 64}, DType::float32);
  Profiler prof;
  {
    NoGrad no_grad;
    selu(x);
    selu(x);
  }
  const std::vector<ProfileRow> rows = prof.rows();  // find_row points into it: keep it alive
  const ProfileRow* row = find_row(rows, "selu");
  REQUIRE(row);
  CHECK(row->forward_calls == 2);
  CHECK(row->backward_calls == 0);
  CHECK(tape().size() == 0);
}

TEST_CASE("a scope left by an exception leaves the profiler able to time the next op") {
  Profiler prof;
  try {
    OpScope scope("failing");
    throw Error("failing: on purpose");
  } catch (const Error&) {
  }
  selu(tensor({1, -1}));
  const std::vector<ProfileRow> rows = prof.rows();
  REQUIRE(find_row(rows, "failing"));
  CHECK(find_row(rows, "failing")->forward_calls == 1);
  REQUIRE(find_row(rows, "selu"));  // not swallowed by a scope that never closed
  CHECK(find_row(rows, "selu")->forward_calls == 1);
}

TEST_CASE("profilers switch on and off with their scope, and a nested one takes over") {
  Tensor x = tensor({1, -1});
  selu(x);  // no profiler: nothing to see, nothing to crash
  Profiler outer;
  selu(x);
  {
    Profiler inner;
    selu(x);
    selu(x);
    REQUIRE(find_row(inner.rows(), "selu"));
    CHECK(find_row(inner.rows(), "selu")->forward_calls == 2);
  }
  selu(x);
  REQUIRE(find_row(outer.rows(), "selu"));
  CHECK(find_row(outer.rows(), "selu")->forward_calls == 2);
}

TEST_CASE("an OpScope claims the kernels of the ops it wraps") {
  Tensor x = test::random_tensor({100}, DType::float64);
  Profiler prof;
  {
    OpScope scope("standardize");
    mul_scalar(add_scalar(x, -1.0), 0.5);
  }
  const std::vector<ProfileRow> rows = prof.rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].op == "standardize");
  CHECK(rows[0].forward_calls == 1);
}

TEST_CASE("the profiler report is a table of every op with its share") {
  Tensor a = test::random_tensor({64, 32}, DType::float32, 1).requires_grad(true);
  Tensor w = test::random_tensor({16, 32}, DType::float32, 2).requires_grad(true);
  Profiler prof;
  backward(sum(selu(linear(a, w))));
  std::ostringstream out;
  prof.report(out);
  const std::string s = out.str();
  INFO(s);
  CHECK(s.find("op") == 0);
  CHECK(s.find("fwd calls") != std::string::npos);
  CHECK(s.find("bwd ms") != std::string::npos);
  CHECK(s.find("share") != std::string::npos);
  for (const char* op : {"linear", "selu", "sum"}) CHECK(s.find(std::string("\n") + op + " ") != std::string::npos);
  CHECK(s.find("100.0%") != std::string::npos);
  CHECK(s.find("wall time") != std::string::npos);
}

TEST_CASE("mean and var are charged with the sums they run, forward and backward") {
  Tensor x = test::random_tensor({32, 16}, DType::float64, 5).requires_grad(true);
  Profiler prof;
  Tensor m = mean(x, {0}, false);
  Tensor v = var(x, {1}, true, false);
  backward(add(sum(m), sum(v)));
  const std::vector<ProfileRow> rows = prof.rows();
  for (const char* op : {"mean", "var"}) {
    const ProfileRow* row = find_row(rows, op);
    INFO(op);
    REQUIRE(row);
    CHECK(row->forward_calls == 1);
    CHECK(row->backward_calls == 1);
  }
  const ProfileRow* sums = find_row(rows, "sum");
  REQUIRE(sums);                    // the two explicit sum() calls, and nothing of mean's or var's
  CHECK(sums->forward_calls == 2);
}

TEST_CASE("a profiler destroyed before a newer one is unlinked; the newer one keeps counting") {
  Tensor x = tensor({1, -1});
  auto older = std::make_unique<Profiler>();
  auto newer = std::make_unique<Profiler>();
  older.reset();  // out of order
  selu(x);
  REQUIRE(find_row(newer->rows(), "selu"));
  CHECK(find_row(newer->rows(), "selu")->forward_calls == 1);
  newer.reset();
  selu(x);  // no profiler left: must not touch freed state (ASan checks this in make test-sanitize)
}
