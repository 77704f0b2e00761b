// A data-parallel training run for the MPI tests (tests/train/run_mpi.py): `steps` SGD steps of
// an SNN or a BatchNorm net with alpha-dropout on a global batch of 128, on however many ranks
// mpirun started; rank 0 prints every parameter's and buffer's bytes as hex digests, which must be
// the same for 1, 2 and 4 ranks. --fail-rank R --fail-step S makes rank R throw (or, with --kill,
// die of SIGKILL) at step S, to check that the job then ends everywhere with a message instead
// of hanging. --save PATH writes a checkpoint (rank 0) after the last step; --resume PATH loads
// one on every rank and continues from its step to --steps: a checkpoint written on R ranks must
// continue on R' ranks exactly as the run that never stopped.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "tapegrad.h"

using namespace tg;

namespace {
// FNV-1a over the bytes of every tensor: a digest that changes with any bit.
std::uint64_t digest(const std::vector<Tensor>& tensors) {
  std::uint64_t h = 1469598103934665603ull;
  for (const Tensor& t : tensors) {
    const auto* p = static_cast<const unsigned char*>(t.raw_data());
    for (std::size_t i = 0; i < static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype()); ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  return h;
}
}  // namespace

int main(int argc, char** argv) {
  bool batch_norm = false, kill = false;
  std::string save, resume;
  int steps = 3, fail_rank = -1, fail_step = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--batch-norm") batch_norm = true;
    else if (a == "--kill") kill = true;
    else if (a == "--steps" && i + 1 < argc) steps = std::stoi(argv[++i]);
    else if (a == "--save" && i + 1 < argc) save = argv[++i];
    else if (a == "--resume" && i + 1 < argc) resume = argv[++i];
    else if (a == "--fail-rank" && i + 1 < argc) fail_rank = std::stoi(argv[++i]);
    else if (a == "--fail-step" && i + 1 < argc) fail_step = std::stoi(argv[++i]);
    else {
      std::fprintf(stderr, "distributed_program: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  dist::Communicator& world = dist::world();
  try {
    Generator gen(7 + world.rank());  // different on every rank: the broadcast must fix it
    nn::Sequential net;
    std::int64_t in = 24;
    for (int layer = 0; layer < 3; ++layer) {
      net.add(nn::Linear(in, 40, gen));
      if (batch_norm) net.add(nn::ReLU()), net.add(nn::BatchNorm1d(40));
      else net.add(nn::SELU());
      net.add(nn::AlphaDropout(0.1, 100 + layer));
      in = 40;
    }
    net.add(nn::Linear(in, 5, gen));
    dist::DataParallel ddp(net, world, {.bucket_bytes = 4096});
    optim::SGD opt(net.parameters(), {.lr = 0.05, .momentum = 0.9});
    Generator data(11);
    int first_step = 0;
    if (!resume.empty()) {  // every rank reads the file: the optimiser's state is not broadcast
      const optim::TrainingState state = optim::load_checkpoint(resume, net, &opt);
      first_step = static_cast<int>(state.step);
      for (const auto& [name, g] : state.generators)
        if (name == "data") data = g;
    }
    for (int step = first_step; step < steps; ++step) {
      if (world.rank() == fail_rank && step == fail_step) {
        if (kill) std::raise(SIGKILL);
        throw Error(cat("distributed_program: rank ", world.rank(), " fails at step ", step, " on purpose"));
      }
      const Tensor x = randn({128, 24}, data);
      std::vector<std::int64_t> y(128);
      for (std::int64_t i = 0; i < 128; ++i) y[i] = (i * 7 + step) % 5;
      const Tensor labels = tg::labels(y);
      const auto [begin, end] = ddp.rows_of(128);
      opt.zero_grad();
      {
        auto split = ddp.split(128);
        backward(cross_entropy(net(x.rows(begin, end)), labels.rows(begin, end)));
      }
      ddp.synchronize_gradients();
      opt.step();
    }
    if (!save.empty() && world.rank() == 0)
      optim::save_checkpoint(save, net, &opt, {.step = steps, .generators = {{"data", data}}});
    std::vector<Tensor> state = net.parameters();
    for (auto& [name, t] : net.named_buffers()) state.push_back(t);
    if (world.rank() == 0)
      std::printf("ranks %d backend %s from-step %d digest %016llx\n", world.ranks(), world.backend(), first_step,
                  static_cast<unsigned long long>(digest(state)));
  } catch (const std::exception& e) {
    world.abort(cat("distributed_program: ", e.what()));
  }
  return 0;
}
