// OpScope: where the profiler hooks into every op. The profiler lives one layer up
// (autograd/profiler.h); its .cpp defines OpScope::begin and end.
//
// dispatch() opens one around each kernel it runs, and backward() around each record's closure.
// With no Profiler on this thread an OpScope is one thread_local pointer test; with one, the
// outermost scope is timed and charged to its op. See Note [What the profiler times].
#pragma once

#include <cstdint>

namespace tg {

namespace detail {
struct ProfilerState;
/// Non-null while a tg::Profiler is alive on this thread. constinit: no TLS init wrapper.
extern thread_local constinit ProfilerState* t_profiler;
}  // namespace detail

/// Charges the time of its scope to `op` (a string literal) while a Profiler is on and no
/// enclosing OpScope is timing; nested scopes then count nothing. An op whose kernels run
/// under other names (a composite, or a shared helper) can open one to claim their time.
class OpScope {
 public:
  enum class Phase : std::uint8_t { forward, backward };
  explicit OpScope(const char* op, Phase phase = Phase::forward) {
    if (detail::t_profiler) [[unlikely]] begin(op, phase);
  }
  ~OpScope() {
    if (state_) [[unlikely]] end();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  void begin(const char* op, Phase phase);
  void end();

  detail::ProfilerState* state_ = nullptr;  // set only while this scope is timing
  const char* op_ = nullptr;
  Phase phase_ = Phase::forward;
  std::int64_t start_ns_ = 0;
};

}  // namespace tg
