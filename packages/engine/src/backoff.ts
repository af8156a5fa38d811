// Delay before retrying a failed attempt: exponential with full jitter, never shorter than what
// the provider asked for with Retry-After. Pure, so it is tested without clocks.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** What the provider asked for; the delay is at least this. */
  retryAfterMs?: number | undefined;
}

/** `failures` counts the failed attempts so far (1 after the first failure). */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, failures - 1));
  // Half fixed, half random: spreads retries of many jobs without ever retrying instantly.
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.round(Math.max(jittered, options.retryAfterMs ?? 0));
}
