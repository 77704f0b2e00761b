// Weka's ARFF, dense and sparse rows, plain and gzip: datasets/arff.h.
#include "datasets/arff.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::input_file(data, size);
  tg::fuzz::expect_error_or_success([&] {
    tg::ArffData arff = tg::read_arff(path);
    // Every cell the reader promises is there: rows × attributes.
    if (arff.cells.size() != static_cast<std::size_t>(arff.rows * arff.columns())) std::abort();
    tg::ArffData twice = arff;
    tg::append_rows(twice, arff, "fuzz_arff");
  });
  return 0;
}
