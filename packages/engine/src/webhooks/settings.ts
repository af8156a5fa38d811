// How webhooks are delivered: the retry schedule, the per-attempt timeout and how often the relay
// looks for messages no queue holds yet. Read from MEDIAGATE_WEBHOOK_* with the defaults of the
// Standard Webhooks recommendations (a schedule spanning days, attempts of 15 s).
import { InputError } from '@mediagate/core';

export interface WebhookSettings {
  /** Waits before the second, third… attempts (the first goes at once); one attempt more than entries. */
  retryDelaysMs: number[];
  /** One attempt's whole exchange, connect to last byte. */
  timeoutMs: number;
  /** How often each worker process enqueues messages that no delivery queue holds yet. */
  pollMs: number;
  /** Deliveries one worker process sends at once. */
  concurrency: number;
}

/** About three days in all, as the Standard Webhooks example schedule. */
export const defaultWebhookRetryDelays = '5s,5m,30m,2h,5h,10h,14h,20h,24h';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5s,5m,30m,2h" → milliseconds; a bare number is milliseconds. Empty means no retries. */
export function parseRetryDelays(name: string, raw: string): number[] {
  if (raw.trim() === '') return [];
  return raw.split(',').map((part) => {
    const match = /^\s*(\d+)(ms|s|m|h|d)?\s*$/.exec(part);
    const value = match ? Number(match[1]) * (units[match[2] ?? 'ms'] ?? 1) : NaN;
    if (!Number.isSafeInteger(value) || value > 7 * units.d!) {
      throw new InputError(`${name}: "${part.trim()}" is not a delay like 500ms, 5s, 5m, 2h or 1d (at most 7d each)`, { field: name });
    }
    return value;
  });
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new InputError(`${name}: "${raw}" is not a whole number ≥ ${min}`, { field: name });
  return value;
}

export function loadWebhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const delays = env.MEDIAGATE_WEBHOOK_RETRY_DELAYS;
  return {
    retryDelaysMs: parseRetryDelays('MEDIAGATE_WEBHOOK_RETRY_DELAYS', delays === undefined ? defaultWebhookRetryDelays : delays),
    timeoutMs: whole(env, 'MEDIAGATE_WEBHOOK_TIMEOUT_MS', 15_000, 100),
    pollMs: whole(env, 'MEDIAGATE_WEBHOOK_POLL_MS', 1000, 10),
    concurrency: whole(env, 'MEDIAGATE_WEBHOOK_CONCURRENCY', 10, 1),
  };
}
