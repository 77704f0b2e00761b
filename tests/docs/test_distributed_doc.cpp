// The C++ snippets of docs/distributed.md, compiled and run. Each block between "// [doc]" and
// "// [/doc]" appears verbatim (dedented) in the doc; scripts/check_doc_snippets.py, run by CTest
// as doc_distributed, fails if a block of the doc is found in no such region. The test checks what
// the doc promises: the program-style loop in one process, and the explicit loop on 2 and 4
// threads acting as ranks, end on the same parameters bit for bit.
#include <iostream>
#include <thread>
#include <vector>

#include "datasets/loader.h"
#include "docs/blobs.h"
#include "support.h"
#include "tapegrad.h"

using namespace tg;

namespace {

// blobs(300, …) makes a last batch of 44 (2 segments, split 32/12).
using test::blobs;

nn::Sequential make_model() {
  Generator gen(0);
  return nn::Sequential{nn::Linear(4, 64, gen), nn::SELU(), nn::AlphaDropout(0.1, 5), nn::Linear(64, 3, gen)};
}

// The loop of a program that trains data-parallel when mpirun starts it (here: one process).
std::vector<Tensor> program_loop(const Dataset& train) {
  nn::Sequential model = make_model();
  optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  DataLoader loader(train, {.batch_size = 128, .shuffle = true, .drop_last = false, .seed = 0});
  for (int epoch = 0; epoch < 2; ++epoch) {
    // [doc]
    auto ddp = tg::dist::data_parallel_if_launched(model);  // null unless mpirun started several ranks
    for (const Batch& batch : loader.batches(epoch)) {
      opt.zero_grad();
      const Tensor loss = tg::dist::backward_step(ddp.get(), batch.x, batch.y, [&](const Tensor& x, const Tensor& y) {
        return cross_entropy(model(x), y);  // on this rank's rows; the value is the global batch's
      });
      opt.step();
      if (tg::dist::is_root_process()) std::cout << "loss " << loss.item() << "\n";
    }
    // [/doc]
  }
  return model.parameters();
}

// The same loop spelled out, on rank comm.rank() of comm.
std::vector<Tensor> explicit_loop(const Dataset& train, tg::dist::Communicator& comm) {
  nn::Sequential model = make_model();
  optim::SGD opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  DataLoader loader(train, {.batch_size = 128, .shuffle = true, .drop_last = false, .seed = 0});
  for (int epoch = 0; epoch < 2; ++epoch) {
    // [doc]
    tg::dist::DataParallel ddp(model, comm, {.bucket_bytes = 1 << 20, .overlap = true});  // broadcasts rank 0's
    for (const Batch& batch : loader.batches(epoch)) {  // every rank draws the same global batches
      const std::int64_t rows = batch.x.size(0);
      const auto [begin, end] = ddp.rows_of(rows);  // this rank's rows: whole subtrees of the batch's sum
      opt.zero_grad();
      {
        tg::BatchSplitScope split = ddp.split(rows);  // losses, BatchNorm and dropout see the global batch
        backward(cross_entropy(model(batch.x.rows(begin, end)), batch.y.rows(begin, end)));
      }  // the hooks have started each bucket's exchange during backward
      ddp.synchronize_gradients();  // waits, and adds the ranks' sums in rank order
      opt.step();
    }
    // [/doc]
  }
  return model.parameters();
}

// A small sweep job: the final training loss of make_model's net, trained 20 steps from `seed`.
double train_and_score(std::uint64_t seed) {
  const Dataset train = blobs(200, seed);
  nn::Sequential model = make_model();
  optim::SGD opt(model.parameters(), {.lr = 0.05});
  double loss = 0;
  for (int step = 0; step < 20; ++step) {
    opt.zero_grad();
    const Tensor l = cross_entropy(model(train.features), train.labels);
    backward(l);
    opt.step();
    loss = l.item();
  }
  return loss;
}

// Every rank of comm runs the sweep; rank 0's scores are returned (the others' stay empty).
std::vector<double> sweep(tg::dist::Communicator& comm, const std::vector<std::uint64_t>& seeds) {
  std::vector<double> scores(seeds.size(), 0.0);
  // [doc]
  tg::dist::run_jobs(
      comm, static_cast<std::int64_t>(seeds.size()), /*threads=*/1,
      [&](std::int64_t job) { return std::to_string(train_and_score(seeds[job])); },         // on any rank
      [&](std::int64_t job, const std::string& result) { scores[job] = std::stod(result); });  // on rank 0
  // [/doc]
  return scores;
}

}  // namespace

TEST_CASE("docs/distributed.md: a sweep over 3 ranks gives rank 0 the one-process scores") {
  const std::vector<std::uint64_t> seeds{1, 2, 3, 4, 5, 6, 7};
  tg::dist::ThreadGroup one(1);
  const std::vector<double> expected = sweep(one.member(0), seeds);
  tg::dist::ThreadGroup group(3);
  std::vector<std::vector<double>> results(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) threads.emplace_back([&, r] { results[r] = sweep(group.member(r), seeds); });
  for (std::thread& t : threads) t.join();
  CHECK(results[0] == expected);  // std::to_string keeps 6 digits: equal text, from equal bits
  for (double s : expected) CHECK(s > 0);
}

TEST_CASE("docs/distributed.md: the program loop in one process and the explicit loop on 2 ranks agree bit for bit") {
  const Dataset train = blobs(300, 1);
  const std::vector<Tensor> one = program_loop(train);
  {
    const int ranks = 2;  // not 4: the last batch, 44 rows, has 2 segments, too few for 4 ranks
    // [doc]
    tg::dist::ThreadGroup group(ranks);  // threads of one process as ranks: no MPI needed
    std::vector<std::vector<Tensor>> results(ranks);
    std::vector<std::thread> threads;
    for (int r = 0; r < ranks; ++r)
      threads.emplace_back([&, r] { results[r] = explicit_loop(train, group.member(r)); });
    for (std::thread& t : threads) t.join();
    // [/doc]
    for (int r = 0; r < ranks; ++r) CHECK(test::bit_difference(results[static_cast<std::size_t>(r)], one) == "");
  }
  CHECK_THROWS_WITH(tg::dist::rows_of_rank(44, 0, 4), Catch::Contains("too small"));
}
