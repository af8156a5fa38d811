#!/usr/bin/env bash
# Runs the throughput scenarios of bench/RESULTS.md against several checkouts of the repository
# (git worktrees with their own `npm install`), interleaved run by run, so the noise of a shared
# machine hits every checkout alike and their ratios hold. One JSON line per run on stdout, with
# the checkout and the load average next to the run's result. Every checkout runs this
# checkout's bench/throughput.ts, copied in first.
#   bash bench/compare-trees.sh [repeats] /tmp/base /tmp/head …
# Example: git worktree add --detach /tmp/base <commit> && (cd /tmp/base && npm install)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repeats="$1"
shift
for tree in "$@"; do
  [ "$tree" -ef "$here" ] || cp "$here/bench/throughput.ts" "$tree/bench/throughput.ts"
done
for run in $(seq 1 "$repeats"); do
  for scenario in "3000 0 500" "6000 1000 1000"; do
    read -r jobs latency inflight <<<"$scenario"
    for database in postgres pglite; do
      for tree in "$@"; do
        result=$(cd "$tree" && npx tsx bench/throughput.ts --jobs "$jobs" --latency "$latency" --in-flight "$inflight" --database "$database" 2>/dev/null | tail -1)
        printf '{"tree":"%s","run":%s,"load":%s,"result":%s}\n' "$tree" "$run" "$(cut -d' ' -f1 /proc/loadavg)" "${result:-null}"
      done
    done
  done
done
