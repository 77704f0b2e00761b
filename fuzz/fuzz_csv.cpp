// Tabular CSV, plain and gzip, under several option sets: datasets/csv.h.
#include "datasets/csv.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = tg::fuzz::input_file(data, size);
  // A header with a named label; fill the missing cells.
  tg::fuzz::expect_error_or_success([&] {
    tg::read_csv(path, {.label_column = "label", .missing = tg::MissingValues::fill});
  });
  // scikit-learn's layout: a count line, no header, the class in the last column.
  tg::fuzz::expect_error_or_success([&] { tg::read_csv(path, {.label_index = -1, .skip_rows = 1, .header = false}); });
  // Regression on the first column, ';'-separated, the header skipped and the columns named by
  // position, one of them forced categorical and one ignored.
  tg::fuzz::expect_error_or_success([&] {
    tg::read_csv(path, {.label_index = 0,
                        .label_kind = tg::LabelKind::regression,
                        .skip_rows = 1,
                        .header = false,
                        .delimiter = ';',
                        .missing = tg::MissingValues::fill,
                        .categorical_columns = {"1"},
                        .ignore_columns = {"2"}});
  });
  return 0;
}
