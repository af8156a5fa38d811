// The routing state of one runtime (circuit breakers, observed stats, the random source of
// `weighted`), and the two places the runner feeds and consults it: after every attempt, and
// before a queued job is claimed on a provider whose circuit may be open.
import { ProviderError, type ErrorClass, type Target } from '@mediagate/core';
import type { AttemptResult } from '../attempt.ts';
import type { Runtime } from '../runtime.ts';
import { CircuitBreakers } from './breaker.ts';
import { RoutingStats } from './stats.ts';

export interface Routing {
  breakers: CircuitBreakers;
  stats: RoutingStats;
  /** [0, 1); replace with seededRandom(…) for reproducible weighted picks. */
  random: () => number;
}

const byRuntime = new WeakMap<Runtime, Routing>();

export function routing(runtime: Runtime): Routing {
  let state = byRuntime.get(runtime);
  if (state === undefined) {
    const { breaker } = runtime.config.routing;
    state = {
      breakers: new CircuitBreakers(runtime.redis, runtime.settings.queuePrefix, {
        failures: breaker.failures,
        cooldownMs: breaker.cooldown_seconds * 1000,
      }),
      stats: new RoutingStats(runtime.redis, runtime.settings.queuePrefix),
      random: Math.random,
    };
    byRuntime.set(runtime, state);
  }
  return state;
}

/**
 * Failures that say the provider is unwell. The caller's own mistakes (invalid input, content
 * policy), 429s (a key's limit, not an outage) and bad keys (auth) do not open a circuit.
 */
const providerFailures: ReadonlySet<ErrorClass> = new Set(['server', 'network', 'timeout', 'malformed', 'output_invalid']);

/** How an attempt ended, as routing sees it. */
export type AttemptFeedback = { type: 'succeeded' } | { type: 'failed'; error: ProviderError } | { type: 'other' };

export function routingFeedback(result: AttemptResult): AttemptFeedback {
  if (result.type === 'succeeded') return { type: 'succeeded' };
  if (result.type === 'failed') return { type: 'failed', error: result.error };
  return { type: 'other' };
}

/** Records an attempt's outcome for `fastest`/`adaptive` and the provider's breaker; never throws. */
export async function recordAttempt(runtime: Runtime, target: Target, outcome: AttemptFeedback, latencyMs: number): Promise<void> {
  const { breakers, stats } = routing(runtime);
  try {
    if (outcome.type === 'succeeded') {
      await Promise.all([stats.record(target, true, latencyMs), breakers.success(target.provider)]);
    } else if (outcome.type === 'failed' && providerFailures.has(outcome.error.errorClass)) {
      await Promise.all([stats.record(target, false, latencyMs), breakers.failure(target.provider)]);
    }
  } catch (error) {
    runtime.logger.warn({ provider: target.provider, err: error instanceof Error ? error.message : String(error) }, 'routing stats not recorded');
  }
}

/** The error a job's current target gets when it is skipped because its provider's circuit is open. */
export function circuitOpenError(provider: string): ProviderError {
  return new ProviderError('server', `${provider}'s circuit is open after repeated failures; skipped`);
}
