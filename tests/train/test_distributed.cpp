// Data-parallel training (train/distributed.h) with threads as ranks: R = 1, 2 and 4 give the
// parameters of one process, bit for bit (Note [One process's bits on R processes] in
// ops/batch_split.h). tests/train/run_mpi.py runs the same under mpirun (distributed_program.cpp).
#include <thread>

#include "autograd/tape.h"
#include "nn/nn.h"
#include "ops/loss.h"
#include "ops/reduce.h"
#include "optim/sgd.h"
#include "support.h"
#include "train/distributed.h"

using namespace tg;

namespace {

constexpr std::int64_t kBatch = 128, kIn = 24, kClasses = 5;

// A deep SELU net with alpha-dropout, or a BatchNorm net (Linear → ReLU → BatchNorm) with
// alpha-dropout on: `init_seed` differs per rank, so the broadcast is what makes them equal.
nn::Sequential make_net(bool batch_norm, std::uint64_t init_seed) {
  Generator gen(init_seed);
  nn::Sequential net;
  std::int64_t in = kIn;
  for (int layer = 0; layer < 3; ++layer) {
    net.add(nn::Linear(in, 40, gen));
    if (batch_norm) {
      net.add(nn::ReLU());
      net.add(nn::BatchNorm1d(40));
    } else {
      net.add(nn::SELU());
    }
    net.add(nn::AlphaDropout(0.1, 100 + layer));  // the same dropout seeds everywhere
    in = 40;
  }
  net.add(nn::Linear(in, kClasses, gen));
  return net;
}

// `steps` SGD steps on rank `rank` of `comm`; returns every parameter and buffer afterwards, and
// every step's loss.
std::vector<Tensor> train(bool batch_norm, dist::Communicator& comm, int steps, std::int64_t rows = kBatch) {
  nn::Sequential net = make_net(batch_norm, 7 + comm.rank());
  dist::DataParallel ddp(net, comm, {.bucket_bytes = 2048});  // several buckets
  optim::SGD opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
  Generator data(11);
  std::vector<Tensor> losses;
  for (int step = 0; step < steps; ++step) {
    const Tensor x = randn({rows, kIn}, data);
    std::vector<std::int64_t> y(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) y[static_cast<std::size_t>(i)] = (i * 7 + step) % kClasses;
    const Tensor labels = tg::labels(y);
    const auto [begin, end] = ddp.rows_of(rows);
    opt.zero_grad();
    {
      auto split = ddp.split(rows);
      const Tensor loss = cross_entropy(net(x.rows(begin, end)), labels.rows(begin, end));
      losses.push_back(loss.clone());  // the global batch's loss, on every rank
      backward(loss);
    }
    ddp.synchronize_gradients();
    opt.step();
  }
  std::vector<Tensor> state = net.parameters();
  for (auto& [name, t] : net.named_buffers()) state.push_back(t);
  state.insert(state.end(), losses.begin(), losses.end());
  return state;
}

// The same on R threads; returns each rank's state.
std::vector<std::vector<Tensor>> train_on_threads(bool batch_norm, int ranks, int steps, std::int64_t rows = kBatch) {
  dist::ThreadGroup group(ranks);
  std::vector<std::vector<Tensor>> states(static_cast<std::size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] { states[static_cast<std::size_t>(r)] = train(batch_norm, group.member(r), steps, rows); });
  for (std::thread& t : threads) t.join();
  return states;
}

}  // namespace

TEST_CASE("data-parallel training on 2 and 4 ranks gives one process's parameters bit for bit") {
  for (bool batch_norm : {false, true}) {
    const std::vector<Tensor> one = train_on_threads(batch_norm, 1, 4)[0];
    for (int ranks : {2, 4}) {
      const auto states = train_on_threads(batch_norm, ranks, 4);
      INFO((batch_norm ? "BatchNorm net" : "SNN") << ", " << ranks << " ranks");
      for (int r = 0; r < ranks; ++r) CHECK(test::bit_difference(states[static_cast<std::size_t>(r)], one) == "");
    }
  }
}

TEST_CASE("batches whose segment count is not a power of two split unevenly and still give one process's bits") {
  // 192 rows = 6 segments: halves of 96 would sum (s0+s1+s2) + (s3+s4+s5), one process sums
  // (s0..s3) + (s4+s5); Note [Which rows a rank holds] gives 128 and 64. 100 and 200 end in a
  // short segment (the last batch of an epoch).
  CHECK(dist::rows_of_rank(192, 0, 2) == std::pair<std::int64_t, std::int64_t>{0, 128});
  CHECK(dist::rows_of_rank(192, 1, 2) == std::pair<std::int64_t, std::int64_t>{128, 192});
  CHECK(dist::rows_of_rank(200, 3, 4) == std::pair<std::int64_t, std::int64_t>{192, 200});
  CHECK(dist::rows_of_rank(100, 0, 1) == std::pair<std::int64_t, std::int64_t>{0, 100});
  for (const auto& [ranks, rows] : {std::pair{2, 192}, {2, 96}, {2, 100}, {4, 192}, {4, 224}, {4, 200}}) {
    for (bool batch_norm : {false, true}) {
      const std::vector<Tensor> one = train_on_threads(batch_norm, 1, 2, rows)[0];
      const auto states = train_on_threads(batch_norm, ranks, 2, rows);
      INFO((batch_norm ? "BatchNorm net" : "SNN") << ", " << ranks << " ranks, " << rows << " rows");
      for (int r = 0; r < ranks; ++r) CHECK(test::bit_difference(states[static_cast<std::size_t>(r)], one) == "");
    }
  }
}

TEST_CASE("DataParallel rejects a batch too small for its ranks, and a leftover gradient") {
  dist::ThreadGroup group(1);
  nn::Sequential net = make_net(false, 1);
  dist::DataParallel ddp(net, group.member(0));
  CHECK_THROWS_WITH(dist::rows_of_rank(96, 0, 4), Catch::Contains("96") && Catch::Contains("too small"));
  CHECK_THROWS_WITH(dist::rows_of_rank(128, 0, 3), Catch::Contains("power of two"));
  CHECK_THROWS_WITH(ddp.rows_of(0), Catch::Contains("0 rows"));
  backward(sum(net(randn({32, kIn}, *std::make_unique<Generator>(3)))));
  CHECK_THROWS_WITH(ddp.split(32), Catch::Contains("zero_grad"));
  tape().clear();
}
