#!/usr/bin/env bash
# Runs libFuzzer harnesses one after the other (make fuzz):
#   fuzz/run.sh <build dir> <seconds each> <harness>...
# Each starts from the committed seeds (fuzz/corpus/<h>) and the inputs earlier runs kept
# (<build dir>/corpus/<h>), with its dictionary (fuzz/dict/<h>.dict). A finding — a crash, a
# sanitizer report, an exception other than tg::Error, a hang over 10 s, more than 2 GB of memory
# — stops the harness and leaves its input in <build dir>/findings/<h>/; the log is
# <build dir>/logs/<h>.log. The last line per harness is libFuzzer's own figures: executions,
# cov (coverage points reached) and ft (features: edges with hit counts).
# Reproduce a finding: <build dir>/bin/fuzz_<h> <build dir>/findings/<h>/crash-...
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$1" seconds="$2"
shift 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
status=0
summary=()
for h in "$@"; do
  mkdir -p "$build/corpus/$h" "$build/findings/$h" "$build/logs"
  log="$build/logs/$h.log"
  echo "fuzz: $h for ${seconds} s (log: $log)"
  start=$SECONDS
  "$build/bin/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$here/dict/$h.dict" -artifact_prefix="$build/findings/$h/" \
    "$build/corpus/$h" "$here/corpus/$h" > "$log" 2>&1
  rc=$?
  figures="$(grep -E '^#[0-9]+' "$log" | tail -n1 | sed -E 's/^#([0-9]+)[[:space:]]+[A-Z]+[[:space:]]+/\1 executions, /;s/ (lim|exec\/s|rss|L|MS|corp):.*//')"
  line="$h: $((SECONDS - start)) s, ${figures:-no figures}"
  if [[ $rc -ne 0 ]]; then
    line+=" — FINDING (exit $rc): $(ls -t "$build/findings/$h" | head -n1)"
    grep -m1 -E 'ERROR: |runtime error|fuzz: ' "$log" >&2
    status=1
  fi
  summary+=("$line")
done
printf 'fuzz summary:\n'
printf '  %s\n' "${summary[@]}"
exit $status
