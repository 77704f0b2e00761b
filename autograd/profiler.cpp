#include "autograd/profiler.h"

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <ostream>
#include <unordered_map>

namespace tg {

namespace detail {
thread_local constinit ProfilerState* t_profiler = nullptr;

struct ProfilerState {
  ProfilerState* previous = nullptr;  // the profiler this one took over from (a chain per thread)
  bool busy = false;  // an OpScope is timing; nested scopes count nothing
  std::vector<ProfileRow> rows;
  std::unordered_map<const char*, std::size_t> index;  // by literal address; see row()

  ProfileRow& row(const char* op) {
    if (auto it = index.find(op); it != index.end()) return rows[it->second];
    // The same name may be two literals with different addresses (one per translation unit).
    auto same = std::find_if(rows.begin(), rows.end(), [&](const ProfileRow& r) { return r.op == op; });
    const std::size_t i = same != rows.end() ? static_cast<std::size_t>(same - rows.begin()) : rows.size();
    if (same == rows.end()) rows.push_back(ProfileRow{op});
    index.emplace(op, i);
    return rows[i];
  }
};
}  // namespace detail

namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void OpScope::begin(const char* op, Phase phase) {
  detail::ProfilerState* state = detail::t_profiler;
  if (state->busy) return;
  state->busy = true;
  state_ = state;
  op_ = op;
  phase_ = phase;
  start_ns_ = now_ns();
}

void OpScope::end() {
  const double ms = static_cast<double>(now_ns() - start_ns_) * 1e-6;
  ProfileRow& row = state_->row(op_);
  if (phase_ == Phase::forward) {
    ++row.forward_calls;
    row.forward_ms += ms;
  } else {
    ++row.backward_calls;
    row.backward_ms += ms;
  }
  state_->busy = false;
}

Profiler::Profiler() : state_(std::make_unique<detail::ProfilerState>()), start_ns_(now_ns()) {
  state_->previous = detail::t_profiler;
  detail::t_profiler = state_.get();
}

Profiler::~Profiler() {
  // Usually the newest profiler goes first; one destroyed out of order is unlinked from the
  // chain, so the others neither lose their place nor point at freed state.
  detail::ProfilerState** link = &detail::t_profiler;
  while (*link && *link != state_.get()) link = &(*link)->previous;
  if (*link) *link = state_->previous;
}

std::vector<ProfileRow> Profiler::rows() const {
  std::vector<ProfileRow> out = state_->rows;
  std::stable_sort(out.begin(), out.end(), [](const ProfileRow& a, const ProfileRow& b) { return a.total_ms() > b.total_ms(); });
  return out;
}

double Profiler::wall_ms() const { return static_cast<double>(now_ns() - start_ns_) * 1e-6; }

void Profiler::report(std::ostream& out) const {
  const double wall = wall_ms();
  const std::vector<ProfileRow> table = rows();
  double total = 0;
  std::size_t width = 14;
  for (const ProfileRow& r : table) {
    total += r.total_ms();
    width = std::max(width, r.op.size() + 2);
  }
  const auto flags = out.flags();
  const auto precision = out.precision();
  out << std::left << std::setw(static_cast<int>(width)) << "op" << std::right << std::setw(10) << "fwd calls"
      << std::setw(10) << "fwd ms" << std::setw(11) << "bwd calls" << std::setw(10) << "bwd ms" << std::setw(10)
      << "total ms" << std::setw(8) << "share" << "\n"
      << std::fixed;
  for (const ProfileRow& r : table)
    out << std::left << std::setw(static_cast<int>(width)) << r.op << std::right << std::setw(10) << r.forward_calls
        << std::setprecision(3) << std::setw(10) << r.forward_ms << std::setw(11) << r.backward_calls << std::setw(10)
        << r.backward_ms << std::setw(10) << r.total_ms() << std::setprecision(1) << std::setw(7)
        << (total > 0 ? 100 * r.total_ms() / total : 0.0) << "%\n";
  out << std::left << std::setw(static_cast<int>(width)) << "total" << std::right << std::setw(51) << std::setprecision(3)
      << total << std::setw(8) << "100.0%" << "\n"
      << "wall time " << wall << " ms, " << std::setprecision(1) << (wall > 0 ? 100 * total / wall : 0.0)
      << "% of it inside ops (the rest: argument checks, allocation, the tape itself, user code)\n";
  out.flags(flags);
  out.precision(precision);
}

}  // namespace tg
