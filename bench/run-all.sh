#!/usr/bin/env bash
# Runs every scenario of bench/RESULTS.md (throughput, OpenAI route overhead, SSE fan-out),
# alternating backends so machine noise hits both alike. Usage: bash bench/run-all.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats="${1:-3}"
for run in $(seq 1 "$repeats"); do
  for database in pglite postgres; do
    npx tsx bench/throughput.ts --jobs 3000 --latency 0 --in-flight 500 --database "$database" 2>/dev/null | tail -1
    npx tsx bench/throughput.ts --jobs 6000 --latency 1000 --in-flight 1000 --database "$database" 2>/dev/null | tail -1
  done
done
# The rate-limit headline (medians over its own three runs).
npx tsx bench/rate-limits.ts --runs "$repeats" 2>/dev/null | tail -1
# The OpenAI image route against the simulated provider directly and against the floor, and SSE
# fan-out to 1,000 clients.
for run in $(seq 1 "$repeats"); do
  npx tsx bench/openai-overhead.ts --requests 400 --concurrency 1,64 --database postgres 2>/dev/null | tail -1
  npx tsx bench/sse-fanout.ts --subscribers 1000 --latency 12000 --database postgres 2>/dev/null | tail -1
done
