#include "datasets/uci.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "tensor/error.h"

#ifndef TG_UCI_DEFAULT_DIR
#define TG_UCI_DEFAULT_DIR "data/uci"
#endif

namespace tg {
namespace {

std::string weka(const std::string& file) { return cat(kWekaExamplesDir, "/", file); }

// The catalogue. samples, attributes and classes are the data's own figures (checked on every
// load); features is what TabularEncoder makes of the attributes. Converted files are named after
// their task (scripts/convert_uci.R).
std::vector<UciTask> make_catalogue() {
  const auto converted = [](std::string name, std::string package, std::string origin, std::string label,
                            std::int64_t samples, std::int64_t attributes, std::int64_t features, std::int64_t classes,
                            std::string note, bool generated = false) {
    std::string file = name + ".arff";
    return UciTask{std::move(name), std::move(package), std::move(origin), {std::move(file)}, std::move(label),
                   samples, attributes, features, classes, generated, std::move(note)};
  };
  const auto from_weka = [](std::string name, std::vector<std::string> files, std::string label, std::int64_t samples,
                            std::int64_t attributes, std::int64_t features, std::int64_t classes, std::string note) {
    std::string origin;
    for (std::string& f : files) {
      origin += (origin.empty() ? "" : " + ") + f;
      f = weka(f);
    }
    return UciTask{std::move(name), "weka", std::move(origin), std::move(files), std::move(label), samples, attributes,
                   features, classes, false, std::move(note)};
  };
  const std::string mlbench = "r-cran-mlbench", kernlab = "r-cran-kernlab", sklearn = "python3-sklearn";
  std::vector<UciTask> tasks = {
      from_weka("breast-cancer", {"breast-cancer.arff"}, "Class", 286, 9, 48, 2,
                "read as shipped: Ljubljana breast cancer, 9 nominal attributes, missing node-caps and breast-quad"),
      converted("breast-cancer-wisc", mlbench, "BreastCancer", "Class", 699, 9, 9, 2,
                "the Id column dropped and the ordinal levels 1..10 made numbers again; 16 Bare.nuclei missing"),
      converted("breast-cancer-wisc-diag", sklearn, "breast_cancer.csv", "class", 569, 30, 30, 2,
                "WDBC; feature names as scikit-learn's load_breast_cancer"),
      from_weka("congressional-voting", {"vote.arff"}, "Class", 435, 16, 16, 2,
                "read as shipped; a vote that is neither yea nor nay is a missing value"),
      converted("conn-bench-sonar-mines-rocks", mlbench, "Sonar", "Class", 208, 60, 60, 2, "as shipped"),
      converted("conn-bench-vowel-deterding", mlbench, "Vowel", "Class", 990, 10, 24, 11,
                "the speaker (nominal, 15 values) and 9 numbers: mlbench's copy has 9 of the UCI file's 10 LPC "
                "features, and the 121-task version has 11 inputs"),
      from_weka("glass", {"glass.arff"}, "Type", 214, 9, 9, 6,
                "read as shipped; the declared class 'vehic wind non-float' never occurs"),
      from_weka("ionosphere", {"ionosphere.arff"}, "class", 351, 34, 34, 2, "read as shipped; a2 is constant"),
      from_weka("iris", {"iris.arff"}, "class", 150, 4, 4, 3, "read as shipped"),
      from_weka("lenses", {"contact-lenses.arff"}, "contact-lenses", 24, 4, 6, 3, "read as shipped"),
      converted("letter", mlbench, "LetterRecognition", "lettr", 20000, 16, 16, 26, "as shipped"),
      converted("molec-biol-promoter", kernlab, "promotergene", "Class", 106, 57, 228, 2,
                "57 nominal bases {a, c, g, t}"),
      converted("molec-biol-splice", mlbench, "DNA", "Class", 3186, 180, 180, 3,
                "the StatLog version: 3186 of the 3190 sequences (those with ambiguous bases dropped), each of "
                "the 60 bases as 3 binary indicators"),
      converted("musk-1", kernlab, "musk", "Class", 476, 166, 166, 2,
                "as shipped (kernlab leaves out the molecule and conformation names)"),
      from_weka("pima", {"diabetes.arff"}, "class", 768, 8, 8, 2,
                "read as shipped; zeros that stand for unmeasured values stay zeros, as in the UCI file"),
      from_weka("soybean", {"soybean.arff"}, "class", 683, 35, 84, 19,
                "read as shipped: soybean-large with 19 classes (the 121-task table gives 18); many missing"),
      converted("spambase", kernlab, "spam", "type", 4601, 57, 57, 2, "as shipped"),
      from_weka("statlog-german-credit", {"credit-g.arff"}, "class", 1000, 20, 61, 2,
                "read as shipped: 13 nominal and 7 numeric attributes"),
      from_weka("statlog-image", {"segment-challenge.arff", "segment-test.arff"}, "class", 2310, 19, 19, 7,
                "weka's two parts of the segment data, read one after the other"),
      converted("statlog-landsat", mlbench, "Satellite", "classes", 6435, 36, 36, 6, "as shipped"),
      converted("statlog-shuttle", mlbench, "Shuttle", "Class", 58000, 9, 9, 7,
                "as shipped: the UCI training and test parts together"),
      converted("statlog-vehicle", mlbench, "Vehicle", "Class", 846, 18, 18, 4, "as shipped"),
      converted("wine", sklearn, "wine_data.csv", "class", 178, 13, 13, 3,
                "feature names as scikit-learn's load_wine"),
      converted("zoo", mlbench, "Zoo", "type", 101, 16, 16, 7,
                "15 yes/no attributes as 0/1 and the number of legs; mlbench's copy has no animal names"),
      // Generated, as they were for Fernández-Delgado et al.: Breiman's (1996) generators in mlbench.
      converted("ringnorm", mlbench, "mlbench.ringnorm(7400, d = 20), set.seed(2)", "class", 7400, 20, 20, 2,
                "generated", true),
      converted("twonorm", mlbench, "mlbench.twonorm(7400, d = 20), set.seed(1)", "class", 7400, 20, 20, 2,
                "generated", true),
      converted("waveform", mlbench, "mlbench.waveform(5000), set.seed(3)", "class", 5000, 21, 21, 3, "generated",
                true),
  };
  std::sort(tasks.begin(), tasks.end(), [](const UciTask& a, const UciTask& b) { return a.name < b.name; });
  return tasks;
}

std::string names_of(const std::vector<UciTask>& tasks) {
  std::string out;
  for (const UciTask& t : tasks) out += (out.empty() ? "" : ", ") + t.name;
  return out;
}

}  // namespace

std::string uci_data_dir() {
  const char* env = std::getenv("TG_UCI_DIR");
  return env && *env ? env : TG_UCI_DEFAULT_DIR;
}

const std::vector<UciTask>& uci_tasks() {
  static const std::vector<UciTask> tasks = make_catalogue();
  return tasks;
}

const UciTask& uci_task(std::string_view name) {
  for (const UciTask& t : uci_tasks())
    if (t.name == name) return t;
  throw Error(cat("uci_task: no task '", name, "'; the tasks are: ", names_of(uci_tasks())));
}

UciData load_uci(const UciTask& task, const std::string& dir) {
  namespace fs = std::filesystem;
  check(!task.files.empty(), "load_uci: ", task.name, ": the catalogue names no file");
  UciData data;
  data.task = task.name;
  std::string last;
  for (const std::string& file : task.files) {
    last = fs::path(file).is_absolute() ? file : (fs::path(dir) / file).string();
    if (!fs::exists(last))
      throw Error(cat("load_uci: ", task.name, ": ", last, " does not exist (from ", task.package, " ", task.origin,
                      "; run scripts/setup.sh, which installs the package and converts the data)"));
    try {
      ArffData part = read_arff(last);
      if (data.table.attributes.empty()) {
        data.table = std::move(part);
      } else {
        append_rows(data.table, part, "load_uci");
      }
    } catch (const Error& e) {
      throw Error(cat("load_uci: ", task.name, ": ", e.what()));
    }
  }
  const std::string where = cat("load_uci: ", task.name, ": ", last, ": ");
  const ArffData& table = data.table;
  data.label_attribute = table.attribute_index(task.label, where + "class attribute");
  const ArffAttribute& label = table.attributes[data.label_attribute];
  check(label.type == ArffType::nominal, where, "the class attribute '", label.name, "' is numeric, not nominal");
  for (std::int64_t a = 0; a < table.columns(); ++a)
    if (a != data.label_attribute) data.inputs.push_back(a);
  check(table.rows == task.samples && static_cast<std::int64_t>(data.inputs.size()) == task.attributes, where,
        table.rows, " samples and ", data.inputs.size(), " input attributes; the catalogue expects ", task.samples,
        " and ", task.attributes, " (re-run scripts/setup.sh to convert the data again)");

  // Class ids: the declared values that occur, in declaration order.
  std::vector<std::int64_t> id(label.values.size(), -1);
  for (std::int64_t r = 0; r < table.rows; ++r) {
    const double v = table.at(r, data.label_attribute);
    check(!std::isnan(v), where, "instance ", r + 1, " has no class (a missing value in '", label.name, "')");
    id[static_cast<std::size_t>(v)] = 0;
  }
  for (std::size_t k = 0; k < id.size(); ++k)
    if (id[k] == 0) {
      id[k] = static_cast<std::int64_t>(data.class_names.size());
      data.class_names.push_back(label.values[k]);
    }
  check(static_cast<std::int64_t>(data.class_names.size()) == task.classes, where, data.class_names.size(),
        " classes occur; the catalogue expects ", task.classes);
  std::vector<std::int64_t> labels(static_cast<std::size_t>(table.rows));
  for (std::int64_t r = 0; r < table.rows; ++r)
    labels[static_cast<std::size_t>(r)] = id[static_cast<std::size_t>(table.at(r, data.label_attribute))];
  data.labels = tg::labels(labels);
  return data;
}

TabularEncoder UciData::fit_encoder(std::span<const std::int64_t> train_rows) const {
  return TabularEncoder(table, inputs, train_rows);
}

Dataset UciData::rows(const TabularEncoder& encoder, std::span<const std::int64_t> indices) const {
  Dataset out{encoder.transform(table, indices), empty({static_cast<std::int64_t>(indices.size())}, DType::int64)};
  gather_rows(labels, indices, out.labels);  // the encoder has checked the indices
  return out;
}

}  // namespace tg
