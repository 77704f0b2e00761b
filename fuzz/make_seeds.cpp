// Writes the seed corpora of the harnesses: small valid files of every format the readers take,
// each behind the harness's mode byte (fuzz_input.h, fuzz_checkpoint.cpp). Usage:
//   fuzz_make_seeds <corpus dir>    → <corpus dir>/<harness>/<seed>
// fuzz/make_seeds.sh runs it and adds a deflated .npz written by numpy; the output is committed
// in fuzz/corpus/ so that `make fuzz` starts from it.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/checkpoint_model.h"
#include "train/checkpoint.h"

namespace {

namespace fs = std::filesystem;
fs::path root;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string gzip(const std::string& bytes) {
  const fs::path tmp = root / ".seed.gz";
  gzFile f = gzopen(tmp.c_str(), "wb9");
  if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  std::string out = read_file(tmp);
  fs::remove(tmp);
  return out;
}

void seed_raw(const std::string& harness, const std::string& name, const std::string& bytes) {
  fs::create_directories(root / harness);
  std::ofstream(root / harness / name, std::ios::binary) << bytes;
}

void seed(const std::string& harness, const std::string& name, char mode, const std::string& bytes) {
  seed_raw(harness, name, mode + bytes);
}

/// A file as the readers see it: as it is (mode 0), gzip'ed by the harness (mode 1), and an
/// already gzip'ed copy given as it is (mode 0).
void seed_text_and_gzip(const std::string& harness, const std::string& name, const std::string& bytes) {
  seed(harness, name, 0, bytes);
  seed(harness, name + ".via-gzip", 1, bytes);
  seed(harness, name + ".gz", 0, gzip(bytes));
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

void idx_seeds() {
  std::string images = std::string("\0\0\x08\x03", 4) + be32(3) + be32(2) + be32(2);
  for (int i = 0; i < 12; ++i) images.push_back(static_cast<char>(i * 21));
  seed_text_and_gzip("idx", "images-3x2x2", images);
  std::string labels = std::string("\0\0\x08\x01", 4) + be32(3) + "\x00\x01\x09";
  seed_text_and_gzip("idx", "labels-3", labels);
  std::string mnist = std::string("\0\0\x08\x03", 4) + be32(1) + be32(28) + be32(28) + std::string(784, '\x7f');
  seed("idx", "image-28x28", 0, mnist);
  seed("idx", "images-cut-gzip", 2, images);
}

void cifar_seeds() {
  std::string batch;
  for (int record = 0; record < 2; ++record) {
    batch.push_back(static_cast<char>(record * 7));
    for (int i = 0; i < 3072; ++i) batch.push_back(static_cast<char>((i + record) % 251));
  }
  seed_text_and_gzip("cifar10", "batch-2", batch);
}

void csv_seeds() {
  seed_text_and_gzip("csv", "header-label", "a,b,colour,label\n1,2.5,red,x\n3,NA,blue,y\n-4e2,?,,x\n");
  seed_text_and_gzip("csv", "sklearn-count-line", "3,2,setosa,versicolor\n5.1,3.5,0\n4.9,3.0,1\n6.2,2.9,0\n");
  seed_text_and_gzip("csv", "regression-semicolon", "t;c;ign\n1.5;red;3\n2;blue;4\n  7 ;\"g;r\";5\n\n");
  seed_text_and_gzip("csv", "quoted", "name,label\n\"a, b\",1\n\"say \"\"hi\"\"\",2\n");
}

void arff_seeds() {
  seed_text_and_gzip("arff", "dense",
                     "% iris, shortened\n@relation iris\n@attribute sepallength numeric\n"
                     "@attribute 'petal width' REAL\n@attribute count integer\n@attribute notes string\n"
                     "@attribute class {Iris-setosa,'Iris versicolor',\"x\\'y\"}\n@data\n"
                     "5.1,0.2,1,'first one',Iris-setosa\n4.9,?,2,\"b\",'Iris versicolor'\n"
                     "6.3,1.8,3,c,'x\\'y' % a comment\n");
  seed_text_and_gzip("arff", "sparse",
                     "@RELATION s\n@ATTRIBUTE a NUMERIC\n@ATTRIBUTE b {u,v}\n@ATTRIBUTE c NUMERIC\n@DATA\n"
                     "{0 1.5, 2 3}\n{1 v}\n{}\n");
}

void npz_seeds() {
  const fs::path path = root / ".seed.npz";
  tg::save_npz(path, {{"weights", tg::tensor({1, 2, 3, 4, 5, 6}, {2, 3})},
                      {"scalar", tg::full({}, 0.5, tg::DType::float64)},
                      {"empty", tg::zeros({0}, tg::DType::int64)},
                      {"ids", tg::arange(0, 4, 1, tg::DType::int64)}});
  seed_raw("npz", "four-arrays.npz", read_file(path));  // fuzz_npz takes the file's bytes alone
  fs::remove(path);
}

void checkpoint_seeds() {
  for (int choice = 0; choice < 4; choice += 2) {
    auto model = tg::fuzz::checkpoint_model();
    auto optimizer = tg::fuzz::checkpoint_optimizer(*model, choice);
    tg::optim::StepLR scheduler(*optimizer, 3, 0.5);
    for (tg::Tensor p : model->parameters()) p.impl()->grad = tg::full(p.shape(), 0.25).impl_ptr();
    optimizer->step();
    scheduler.step();
    tg::optim::TrainingState state;
    state.epoch = 1;
    state.step = 1;
    state.seed = 42;
    state.generators = {{"shuffle", tg::Generator(5, 123)}};
    state.metrics = {{"val_loss", 0.25}};
    state.extras = {{"config/hidden", tg::full({}, 4, tg::DType::int64)}};
    const fs::path path = root / ".seed.npz";
    tg::optim::save_checkpoint(path, *model, optimizer.get(), state, &scheduler);
    const std::string optimizer_name = choice ? "adam" : "sgd";
    seed("checkpoint", optimizer_name + ".npz", static_cast<char>(choice), read_file(path));
    seed("checkpoint", optimizer_name + ".arrays", static_cast<char>(choice | 1),
         tg::fuzz::encode_arrays(tg::load_npz(path)));
    fs::remove(path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds <corpus dir>\n");
    return 2;
  }
  root = argv[1];
  fs::create_directories(root);
  idx_seeds();
  cifar_seeds();
  csv_seeds();
  arff_seeds();
  npz_seeds();
  checkpoint_seeds();
  return 0;
}
