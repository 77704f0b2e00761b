// save_weights / load_weights and the scaler's arrays; see Note [Weights files] in weights.h.
#include "train/weights.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "autograd/tape.h"
#include "train/checkpoint.h"

namespace tg::optim {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Splits a file's arrays into weights (by state_dict name) and extras (Note [Weights files]),
// both in file order.
void split(const NamedTensors& arrays, NamedTensors& weights, NamedTensors& extras) {
  const bool checkpoint = std::any_of(arrays.begin(), arrays.end(), [](const auto& a) { return a.first == "meta/format"; });
  for (const auto& [name, t] : arrays) {
    if (checkpoint) {
      for (std::string_view prefix : {"model/", "buffer/"})
        if (name.starts_with(prefix)) weights.emplace_back(name.substr(prefix.size()), t);
      if (is_extra_name(name)) extras.emplace_back(name, t);
    } else if (name.find('/') == std::string::npos) {
      weights.emplace_back(name, t);
    } else {
      extras.emplace_back(name, t);
    }
  }
}

}  // namespace

std::string LoadReport::str() const {
  std::string out;
  for (const auto& [label, names] : {std::pair{"matched", &matched}, std::pair{"converted", &converted},
                                     std::pair{"missing", &missing}, std::pair{"unexpected", &unexpected}})
    if (!names->empty()) out += cat(label, " ", names->size(), ": ", joined(*names), "\n");
  std::vector<std::string> extra_names;
  for (const auto& [name, t] : extras) extra_names.push_back(name);
  if (!extra_names.empty()) out += cat("extras ", extra_names.size(), ": ", joined(extra_names), "\n");
  return out;
}

void save_weights(const std::string& path, const nn::Module& model, const NamedTensors& extras) {
  NamedTensors arrays = model.state_dict();
  for (const auto& [name, t] : arrays)
    check(name.find('/') == std::string::npos, "save_weights: ", path, ": the model's tensor '", name,
          "' has a '/' in its name, which marks extras in a weights file");
  for (const auto& [name, t] : extras) {
    check(name.find('/') != std::string::npos, "save_weights: ", path, ": extra array '", name,
          "' needs a '/' in its name (e.g. 'scaler/mean'), so that it cannot be taken for a weight");
    arrays.emplace_back(name, t);
  }
  save_npz(path, arrays);  // rejects duplicate names
}

LoadReport load_weights(const std::string& path, nn::Module& model, const LoadWeightsOptions& options) {
  const std::string where = cat("load_weights: ", path, ": ");
  LoadReport report;
  NamedTensors in_file;
  split(load_npz(path), in_file, report.extras);  // load_npz checks the CRCs
  const std::map<std::string, Tensor> weights(in_file.begin(), in_file.end());

  // ---- 1. validate everything, touching nothing ----
  std::vector<std::string> problems;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (model tensor, its value from the file)
  std::set<std::string> in_model;
  for (const auto& [name, target] : model.state_dict()) {
    in_model.insert(name);
    const auto it = weights.find(name);
    if (it == weights.end()) {
      report.missing.push_back(name);
      continue;
    }
    const Tensor& value = it->second;
    const bool floats = value.dtype() != DType::int64 && target.dtype() != DType::int64;
    if (value.shape() != target.shape() || (value.dtype() != target.dtype() && !floats)) {
      problems.push_back(cat("'", name, "' is ", describe(value), " in the file and ", describe(target), " in the model"));
      continue;
    }
    report.matched.push_back(name);
    if (value.dtype() != target.dtype()) report.converted.push_back(name);
    copies.emplace_back(target, value);
  }
  for (const auto& [name, t] : in_file)
    if (!in_model.count(name)) report.unexpected.push_back(name);
  if (options.strict && !report.missing.empty())
    problems.push_back(cat("missing from the file: ", joined(report.missing)));
  if (options.strict && !report.unexpected.empty())
    problems.push_back(cat("unexpected (not in the model): ", joined(report.unexpected)));
  std::string message;
  for (const std::string& p : problems) message += (message.empty() ? "" : "; ") + p;
  check(problems.empty(), where, message);
  StandardScaler scaler;
  if (options.scaler) {
    try {
      scaler = scaler_from(report.extras, options.scaler_prefix);
    } catch (const Error& e) {
      throw Error(where + e.what());
    }
  }

  // ---- 2. copy into the existing storage (Note [Parameters are handles]) ----
  NoGrad no_grad;
  for (const auto& [target, value] : copies) {
    const Tensor converted = value.dtype() == target.dtype() ? value : value.to(target.dtype());
    if (const std::size_t bytes = target.numel() * dtype_size(target.dtype()))
      std::memcpy(target.raw_data(), converted.raw_data(), bytes);
  }
  if (options.scaler) *options.scaler = scaler;
  return report;
}

NamedTensors scaler_tensors(const StandardScaler& scaler, const std::string& prefix) {
  check(scaler.fitted(), "scaler_tensors: the scaler is not fitted");
  const auto n = static_cast<std::int64_t>(scaler.mean().size());
  return {{prefix + "/mean", tensor(scaler.mean(), {n}, DType::float64)},
          {prefix + "/scale", tensor(scaler.scale(), {n}, DType::float64)}};
}

StandardScaler scaler_from(const NamedTensors& arrays, const std::string& prefix) {
  auto find = [&](const std::string& name) -> std::vector<double> {
    const auto it = std::find_if(arrays.begin(), arrays.end(), [&](const auto& a) { return a.first == name; });
    check(it != arrays.end(), "scaler_from: '", name, "' is missing");
    check(it->second.dim() == 1 && it->second.dtype() == DType::float64, "scaler_from: '", name, "' is ",
          describe(it->second), ", expected float64 [features]");
    return it->second.to_vector();
  };
  std::vector<double> mean = find(prefix + "/mean"), scale = find(prefix + "/scale");
  try {
    return StandardScaler(std::move(mean), std::move(scale));
  } catch (const Error& e) {
    throw Error(cat("scaler_from: '", prefix, "/mean' and '", prefix, "/scale': ", e.what()));
  }
}

}  // namespace tg::optim
