// Prometheus instruments of the worker side: attempt latency, 429s per key, spend and finished
// jobs, counted where the runner sees them. One set per runtime (tests run several per process);
// the API's /metrics and a `mediagate worker`'s own metrics port both render this registry.
import { timingSafeEqual } from 'node:crypto';
import { Counter, Histogram, Registry } from 'prom-client';

/** Where an attempt ran: labels, never a secret (keys appear by id only). */
export interface MetricsTarget {
  provider: string;
  model: string;
}

/** The shape of an attempt's result the metrics read (AttemptResult satisfies it). */
interface EndedAttempt {
  type: 'succeeded' | 'canceled' | 'gone' | 'failed' | 'internal';
  error?: unknown;
}

/** Seconds: from a cached local render (milliseconds) to a long video operation (half an hour). */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** `outcome` label: how the attempt ended; a provider failure by its error class (rate_limited, timeout…). */
export function attemptOutcome(result: EndedAttempt): string {
  if (result.type === 'gone') return 'canceled';
  if (result.type !== 'failed') return result.type;
  const errorClass = (result.error as { errorClass?: unknown } | undefined)?.errorClass;
  return typeof errorClass === 'string' ? errorClass : 'failed';
}

export class EngineMetrics {
  readonly registry = new Registry();
  readonly #attemptSeconds = new Histogram({
    name: 'mediagate_attempt_duration_seconds',
    help: 'Time one attempt ran in this process (submit or resumed polling through stored outputs), by provider, model and outcome.',
    labelNames: ['provider', 'model', 'outcome'],
    buckets: latencyBuckets,
    registers: [this.registry],
  });
  readonly #rateLimited = new Counter({
    name: 'mediagate_provider_rate_limited_total',
    help: '429 answers from a provider, by provider and key id ("none" for keyless providers).',
    labelNames: ['provider', 'key_id'],
    registers: [this.registry],
  });
  readonly #spend = new Counter({
    name: 'mediagate_spend_usd_total',
    help: 'US dollars spent on succeeded jobs (the actual cost, else the estimate), by the provider and model that served them.',
    labelNames: ['provider', 'model'],
    registers: [this.registry],
  });
  readonly #finished = new Counter({
    name: 'mediagate_worker_jobs_finished_total',
    help: 'Jobs this process brought to an end, by status (succeeded, failed), kind and provider.',
    labelNames: ['status', 'kind', 'provider'],
    registers: [this.registry],
  });

  readonly #keyErrors = new Counter({
    name: 'mediagate_provider_key_errors_total',
    help: 'Provider keys taken out of use after a 401/403, by provider and key id.',
    labelNames: ['provider', 'key_id'],
    registers: [this.registry],
  });

  /** A provider refused a key (401/403); it is now `error` for the whole fleet. */
  keyRejected(provider: string, keyId: string): void {
    this.#keyErrors.inc({ provider, key_id: keyId });
  }

  /** Runs one attempt and records its duration and outcome (and a 429 against its key). */
  async timeAttempt<T extends EndedAttempt>(target: MetricsTarget, keyId: string | undefined, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome = 'internal';
    try {
      const result = await run();
      outcome = attemptOutcome(result);
      return result;
    } finally {
      this.#attemptSeconds.observe({ provider: target.provider, model: target.model, outcome }, (performance.now() - started) / 1000);
      if (outcome === 'rate_limited') this.#rateLimited.inc({ provider: target.provider, key_id: keyId ?? 'none' });
    }
  }

  /** A job completed with its outputs stored; `costUsd` is what it cost (null: unknown, not counted). */
  jobSucceeded(kind: string, target: MetricsTarget, costUsd: number | null | undefined): void {
    this.#finished.inc({ status: 'succeeded', kind, provider: target.provider });
    if (typeof costUsd === 'number' && Number.isFinite(costUsd) && costUsd > 0) {
      this.#spend.inc({ provider: target.provider, model: target.model }, costUsd);
    }
  }

  /** A job failed for good on `provider` (its last target). */
  jobFailed(kind: string, provider: string): void {
    this.#finished.inc({ status: 'failed', kind, provider });
  }
}

const byRuntime = new WeakMap<object, EngineMetrics>();

/** The instruments of one runtime (made on first use), shared by its runner and its API. */
export function engineMetrics(runtime: object): EngineMetrics {
  let metrics = byRuntime.get(runtime);
  if (metrics === undefined) {
    metrics = new EngineMetrics();
    byRuntime.set(runtime, metrics);
  }
  return metrics;
}

/**
 * Whether a request may read /metrics: always when no token is set, else only with
 * `Authorization: Bearer <token>` (compared in constant time).
 */
export function metricsAllowed(token: string | undefined, authorization: string | undefined): boolean {
  if (token === undefined) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The 401 body for /metrics without the token. */
export const metricsUnauthorized = {
  error: { code: 'unauthorized', message: 'GET /metrics needs Authorization: Bearer <MEDIAGATE_METRICS_TOKEN>' },
};
