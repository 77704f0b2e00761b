// ResumableRun; see Note [Resuming a run] in run_state.h.
#include "train/run_state.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>

#include "tensor/atomic_file.h"

namespace tg::optim {
namespace {

constexpr const char* kProgram = "resume/program";
constexpr const char* kArguments = "resume/arguments";

// "flag\tvalue\n" per argument.
std::string arguments_text(const RunArguments& arguments) {
  std::string text;
  for (const auto& [flag, value] : arguments) text += flag + "\t" + value + "\n";
  return text;
}

std::map<std::string, std::string> arguments_from(const std::string& text, const std::string& where) {
  std::map<std::string, std::string> out;
  for (std::size_t begin = 0; begin < text.size();) {
    const std::size_t tab = text.find('\t', begin), end = text.find('\n', begin);
    check(tab < end && end != std::string::npos, where, "'", kArguments, "' is malformed");
    out[text.substr(begin, tab - begin)] = text.substr(tab + 1, end - tab - 1);
    begin = end + 1;
  }
  return out;
}

}  // namespace

std::string exact(double value) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

Tensor text_tensor(std::string_view text) {
  const auto words = static_cast<std::int64_t>((text.size() + 7) / 8);
  Tensor t = zeros({1 + words}, DType::int64);
  std::int64_t* data = t.data<std::int64_t>();
  data[0] = static_cast<std::int64_t>(text.size());
  if (!text.empty()) std::memcpy(data + 1, text.data(), text.size());
  return t;
}

std::string text_from_tensor(const Tensor& t, std::string_view what) {
  check(t.dtype() == DType::int64 && t.dim() == 1 && t.numel() >= 1, what, " is ", describe(t),
        ", expected a 1-dim int64 text array");
  const std::int64_t* data = t.data<std::int64_t>();
  const std::int64_t bytes = data[0];
  check(bytes >= 0 && (bytes + 7) / 8 == t.numel() - 1, what, " holds ", t.numel() - 1, " words for ", bytes,
        " bytes of text");
  return std::string(reinterpret_cast<const char*>(data + 1), static_cast<std::size_t>(bytes));
}

ResumableRun::ResumableRun(std::string program, const std::filesystem::path& dir, RunArguments arguments,
                           bool resume)
    : program_(std::move(program)), path_(dir / "resume.npz"), arguments_(std::move(arguments)) {
  std::filesystem::create_directories(dir);
  removed_ = remove_orphaned_temporaries(dir.string());
  if (!std::filesystem::exists(path_)) return;
  check(resume, program_, ": ", dir.string(), " holds an unfinished run (", path_.string(),
        "): continue it with --resume and the same arguments, or remove that file (or choose another --out) to ",
        "start over");
  const std::string where = cat(program_, " --resume: ", path_.string(), ": ");
  NamedTensors saved = load_npz(path_.string());
  saved_ = std::move(saved);
  const std::string saved_program = text(kProgram);
  check(saved_program == program_, where, "the run is ", saved_program, "'s, not ", program_, "'s");
  const auto before = arguments_from(text(kArguments), where);
  std::string differing;
  for (const auto& [flag, value] : arguments_) {
    const auto it = before.find(flag);
    const std::string old = it == before.end() ? "(not recorded)" : it->second;
    if (old != value) differing += cat(differing.empty() ? "" : ", ", flag, " was ", old, ", now ", value);
  }
  for (const auto& [flag, value] : before)
    if (std::none_of(arguments_.begin(), arguments_.end(), [&](const auto& a) { return a.first == flag; }))
      differing += cat(differing.empty() ? "" : ", ", flag, " was ", value, ", now not an argument");
  if (!differing.empty()) {
    saved_.clear();
    throw Error(cat(where, "the run was started with other arguments: ", differing,
                    "; resume with the arguments it was started with"));
  }
}

const Tensor& ResumableRun::array(const std::string& name) const {
  const auto it = std::find_if(saved_.begin(), saved_.end(), [&](const auto& a) { return a.first == name; });
  check(it != saved_.end(), program_, " --resume: ", path_.string(), ": '", name, "' is missing");
  return it->second;
}

std::string ResumableRun::text(const std::string& name) const {
  return text_from_tensor(array(name), cat(program_, " --resume: ", path_.string(), ": '", name, "'"));
}

TrainingState ResumableRun::restore(nn::Module& model, Optimizer* optimizer, LRScheduler* scheduler) const {
  check(resumed(), program_, ": ResumableRun::restore without a saved run");
  return load_checkpoint(path_.string(), model, optimizer, scheduler);
}

void ResumableRun::save(const nn::Module& model, const Optimizer* optimizer, TrainingState state,
                        const LRScheduler* scheduler) const {
  state.extras.emplace_back(kProgram, text_tensor(program_));
  state.extras.emplace_back(kArguments, text_tensor(arguments_text(arguments_)));
  save_checkpoint(path_.string(), model, optimizer, state, scheduler);
}

void ResumableRun::finish() const { std::filesystem::remove(path_); }

}  // namespace tg::optim
