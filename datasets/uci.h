// The UCI classification tasks that Debian ships, named as in the 121-task list of
// Fernández-Delgado et al. (2014, "Do we need hundreds of classifiers to solve real world
// classification problems?"), which the SNN paper's comparison used. docs/uci.md has the table.
//
// Every task is read from ARFF: weka's own example files as the package installs them, and the
// rest from the ARFF files that scripts/convert_uci.R writes once at set-up time (scripts/setup.sh)
// from r-cran-mlbench, r-cran-kernlab and python3-sklearn into uci_data_dir(). Nothing is
// downloaded. The loader checks each task against the catalogue (samples, attributes, classes),
// so a stale or damaged conversion is a tg::Error naming the task and the file, not a silent change.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/arff.h"
#include "datasets/dataset.h"
#include "datasets/tabular.h"

namespace tg {

/// Where Debian's weka package puts its example ARFF files.
inline constexpr const char* kWekaExamplesDir = "/usr/share/doc/weka/examples";

/// The converted tasks: $TG_UCI_DIR when set and non-empty, else data/uci in the source tree.
std::string uci_data_dir();

struct UciTask {
  std::string name;     ///< as in Fernández-Delgado et al. (2014)
  std::string package;  ///< the Debian package that ships the data
  std::string origin;   ///< the data set's name or file in that package
  /// ARFF files read one after the other: absolute, or relative to uci_data_dir().
  std::vector<std::string> files;
  std::string label;           ///< the class attribute
  std::int64_t samples = 0;    ///< instances
  std::int64_t attributes = 0; ///< input attributes, before encoding
  std::int64_t features = 0;   ///< input columns after TabularEncoder (one-hot)
  std::int64_t classes = 0;    ///< classes that occur
  bool generated = false;      ///< drawn from a generator, not measured
  std::string note;            ///< the conversion, and where the data differs from the 121-task version
};

/// Every task, in alphabetical order of name.
const std::vector<UciTask>& uci_tasks();
/// The task called `name`; throws "uci_task: no task 'x'; the tasks are: ..." otherwise.
const UciTask& uci_task(std::string_view name);

/// One task as read: its table (class attribute included) and class ids.
struct UciData {
  std::string task;
  ArffData table;
  std::int64_t label_attribute = -1;
  std::vector<std::int64_t> inputs;      ///< every attribute but the class
  Tensor labels;                         ///< int64 [samples]: class ids 0..classes-1
  std::vector<std::string> class_names;  ///< class_names[id]: the declared values that occur, in order

  std::int64_t size() const { return table.rows; }
  /// An encoder fitted on the training part (imputation, one-hot, standardisation; see tabular.h).
  TabularEncoder fit_encoder(std::span<const std::int64_t> train_rows) const;
  /// The examples at `rows`: features from `encoder`, labels from this task.
  Dataset rows(const TabularEncoder& encoder, std::span<const std::int64_t> rows) const;
};

/// Reads a task and checks it against its catalogue entry; throws "load_uci: <task>: <file>: ...".
UciData load_uci(const UciTask& task, const std::string& dir = uci_data_dir());

}  // namespace tg
