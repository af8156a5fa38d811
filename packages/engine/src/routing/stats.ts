// What the fleet observed of each provider/model lately, for the `fastest` and `adaptive`
// strategies: the outcomes and latencies of its last attempts, in one capped Redis list per
// target, shared by every process. Writes of concurrent attempts go out together (capped-lists.ts);
// one read per routed request.
import type { Redis } from 'ioredis';
import { formatTarget, type Target } from '@mediagate/core';
import { cappedLists } from '../capped-lists.ts';
import type { Observed } from './strategies.ts';

/** Attempts remembered per target. */
export const statsWindow = 100;
/** A target nobody used for a day starts afresh. */
const ttlMs = 24 * 3_600_000;

export function summarize(entries: readonly string[]): Observed {
  const latencies: number[] = [];
  let succeeded = 0;
  for (const entry of entries) {
    const [outcome, latency] = entry.split(':');
    if (outcome !== '1') continue;
    succeeded += 1;
    const ms = Number(latency);
    if (Number.isFinite(ms)) latencies.push(ms);
  }
  latencies.sort((a, b) => a - b);
  const middle = latencies.length >> 1;
  const p50Ms =
    latencies.length === 0
      ? undefined
      : latencies.length % 2 === 1
        ? latencies[middle]
        : ((latencies[middle - 1] as number) + (latencies[middle] as number)) / 2;
  return { samples: entries.length, p50Ms, successRate: entries.length === 0 ? undefined : succeeded / entries.length };
}

export class RoutingStats {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(target: Target): string {
    return `${this.#prefix}:routing:stats:${formatTarget(target)}`;
  }

  async record(target: Target, succeeded: boolean, latencyMs: number): Promise<void> {
    await cappedLists(this.#redis).push(this.#key(target), `${succeeded ? 1 : 0}:${Math.max(0, Math.round(latencyMs))}`, statsWindow, ttlMs);
  }

  async observe(targets: readonly Target[]): Promise<Map<string, Observed>> {
    const result = new Map<string, Observed>();
    if (targets.length === 0) return result;
    const pipeline = this.#redis.pipeline();
    for (const target of targets) pipeline.lrange(this.#key(target), 0, statsWindow - 1);
    const replies = (await pipeline.exec()) ?? [];
    targets.forEach((target, index) => {
      const [error, entries] = replies[index] ?? [null, []];
      result.set(formatTarget(target), summarize(error || !Array.isArray(entries) ? [] : (entries as string[])));
    });
    return result;
  }

  /** Forgets what was observed (tests, and an operator starting a target afresh). */
  async reset(target: Target): Promise<void> {
    await this.#redis.del(this.#key(target));
  }
}
