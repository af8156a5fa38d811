// Rolling health of a key or a provider, from its most recent attempts (kept in Redis by the
// fleet limiter): success rate and latency percentiles, as `GET /v1/providers` and /metrics show.

export interface Health {
  /** Attempts the figures cover (the most recent ones, up to 200 per key). */
  attempts: number;
  /** Share of those attempts that succeeded, 0–1; null before any attempt. */
  success_rate: number | null;
  /** Median and 95th-percentile latency of succeeded attempts, ms; null before any success. */
  p50_ms: number | null;
  p95_ms: number | null;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

export function healthOf(outcomes: readonly { ok: boolean; latencyMs: number }[]): Health {
  const latencies = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
  return {
    attempts: outcomes.length,
    success_rate: outcomes.length === 0 ? null : Math.round((latencies.length / outcomes.length) * 1000) / 1000,
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
  };
}
