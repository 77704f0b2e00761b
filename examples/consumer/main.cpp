// A program of your own that uses tapegrad: a small SELU network fits y = x1·x2 by full-batch
// SGD. Prints the library's version, the kernels' instruction set and the loss before and after
// training; exits 1 if the headers and the library disagree on the version, or if the loss did
// not at least halve.
#include <tapegrad/tapegrad.h>

#include <cstdio>
#include <cstring>
#include <memory>

int main() {
  std::printf("tapegrad %s (headers %s)\n", tg::version(), TAPEGRAD_VERSION);
  if (std::strcmp(tg::version(), TAPEGRAD_VERSION) != 0) return 1;
  std::printf("%s\n", tg::isa_report().c_str());  // the kernels chosen at run time (TG_ISA forces a set)

  tg::Generator gen(7);
  tg::Tensor x = tg::randn({256, 2}, gen);
  tg::Tensor target = tg::empty({256, 1});
  for (std::int64_t i = 0; i < 256; ++i) target.set({i, 0}, x.at({i, 0}) * x.at({i, 1}));

  tg::nn::Sequential net{std::make_shared<tg::nn::Linear>(2, 16, gen), std::make_shared<tg::nn::SELU>(),
                         std::make_shared<tg::nn::Linear>(16, 1, gen)};
  tg::optim::SGD sgd(net.parameters(), {.lr = 0.1, .momentum = 0.9});
  double first = 0, last = 0;
  for (int step = 0; step < 100; ++step) {
    tg::Tensor loss = tg::mse_loss(net(x), target);
    sgd.zero_grad();
    tg::backward(loss);
    sgd.step();
    (step == 0 ? first : last) = loss.item();
  }
  std::printf("loss %.4f -> %.4f\n", first, last);
  return last < 0.5 * first ? 0 : 1;
}
