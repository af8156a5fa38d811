// Reads how long a provider asks us to wait from the headers providers actually send, so the
// key pool can cool a key down for exactly that long instead of guessing.

/** Go-style durations as OpenAI's `x-ratelimit-reset-*` headers send them: "12ms", "1s", "6m0s", "1h2m3.5s". */
const durationPart = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
const durationWhole = /^(?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s))+$/;

const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** Milliseconds in a duration like "6m0s" or a bare number of seconds; undefined when unreadable. */
export function parseDuration(value: string): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!durationWhole.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(durationPart)) {
    const [, amount, unit] = match;
    total += Number(amount) * (unitMs[unit ?? ''] ?? 0);
  }
  return total;
}

function nonNegative(ms: number): number | undefined {
  return Number.isFinite(ms) ? Math.max(0, Math.ceil(ms)) : undefined;
}

/** `Retry-After` as seconds (fractions allowed) or an HTTP-date, in ms from `now`. */
function parseRetryAfterValue(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return nonNegative(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : nonNegative(date - now);
}

/**
 * How long to wait, in ms, or undefined when the headers don't say. Precedence follows the
 * OpenAI and Anthropic SDKs: `retry-after-ms`, then `retry-after`, then the longest of the
 * `x-ratelimit-reset-requests` / `-tokens` durations (a 429 may come from either budget).
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const exact = headers.get('retry-after-ms');
  if (exact !== null && /^\d+(?:\.\d+)?$/.test(exact.trim())) return nonNegative(Number(exact));
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const ms = parseRetryAfterValue(retryAfter, now);
    if (ms !== undefined) return ms;
  }
  let longest: number | undefined;
  for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    const value = headers.get(name);
    const ms = value === null ? undefined : parseDuration(value);
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest === undefined ? undefined : nonNegative(longest);
}
