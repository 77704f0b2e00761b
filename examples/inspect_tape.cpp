// inspect_tape: one training step of a two-layer SNN, with the tape printed before backward.
//
//   build/bin/inspect_tape                 # text dump on stdout
//   build/bin/inspect_tape --dot tape.dot  # also writes Graphviz DOT (dot -Tpng tape.dot -o tape.png)
#include <iostream>
#include <sstream>
#include <string>

#include "autograd/tape.h"
#include "tensor/atomic_file.h"
#include "nn/nn.h"
#include "ops/loss.h"

int main(int argc, char** argv) {
  using namespace tg;
  std::string dot_path;
  const char* usage = "usage: inspect_tape [--dot FILE]   (prints the tape; --dot also writes it as Graphviz DOT)\n";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dot" && i + 1 < argc) {
      dot_path = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << usage;
      return 2;
    }
  }

  Generator gen(0);
  nn::Sequential model{std::make_shared<nn::Linear>(4, 8, gen), std::make_shared<nn::SELU>(),
                       std::make_shared<nn::Linear>(8, 3, gen)};
  model.label_tensors();  // tape dumps then say "0.weight" instead of "t3"
  Tensor x = randn({16, 4}, gen).set_name("x");
  Tensor y = labels({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0}).set_name("labels");

  Tensor loss = cross_entropy(model(x), y).set_name("loss");
  tape().dump(std::cout);
  if (!dot_path.empty()) {  // whole or not at all, and a failed write is an error (tensor/atomic_file.h)
    std::ostringstream dot;
    tape().dump_dot(dot);
    try {
      write_file_atomically(dot_path, dot.str());
    } catch (const Error& e) {
      std::cerr << "inspect_tape: cannot write " << dot_path << ": " << e.what() << "\n";
      return 1;
    }
  }
  backward(loss);
  std::cout << "after backward: tape has " << tape().size() << " records; loss " << loss.item()
            << "; |grad 0.weight| entries: " << model.named_parameters()[0].second.grad().numel() << "\n";
  return 0;
}
