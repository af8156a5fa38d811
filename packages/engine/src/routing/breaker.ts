// A circuit breaker per provider, shared by the fleet through Redis: after `failures` attempts
// in a row fail on the provider's side it opens and routing skips the provider; after
// `cooldownMs` one attempt (the probe) may go through — half-open — and its success closes the
// circuit again while its failure reopens it. Reads are cached for a second per process, so the
// runner's hot path costs a Map lookup, not a Redis round trip.
import type { Redis } from 'ioredis';
import { LuaScript } from '../redis.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long it stays open before a probe may pass. */
  cooldownMs: number;
  /** How long a read is trusted in this process. */
  cacheMs?: number;
  now?: () => number;
}

interface Snapshot {
  failures: number;
  openUntil: number;
  readAt: number;
}

// Counts a failure; at the threshold (again, for a failed probe) opens until ARGV[2].
const recordFailure = new LuaScript(`
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'open_until', ARGV[2])
  redis.call('DEL', KEYS[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return failures`);

/** Counters of a provider nobody touched for this long are forgotten. */
const ttlMs = 3_600_000;

export class CircuitBreakers {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #options: Required<BreakerOptions>;
  readonly #cache = new Map<string, Snapshot>();

  constructor(redis: Redis, prefix: string, options: BreakerOptions) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#options = { cacheMs: 1000, now: Date.now, ...options };
  }

  #key(provider: string): string {
    return `${this.#prefix}:routing:breaker:${provider}`;
  }

  async #read(provider: string, fresh = false): Promise<Snapshot> {
    const now = this.#options.now();
    const cached = this.#cache.get(provider);
    if (!fresh && cached !== undefined && now - cached.readAt < this.#options.cacheMs) return cached;
    const fields = await this.#redis.hgetall(this.#key(provider));
    const snapshot = { failures: Number(fields.failures ?? 0), openUntil: Number(fields.open_until ?? 0), readAt: now };
    this.#cache.set(provider, snapshot);
    return snapshot;
  }

  #stateOf(snapshot: Snapshot): BreakerState {
    if (snapshot.failures < this.#options.failures || snapshot.openUntil === 0) return 'closed';
    return this.#options.now() < snapshot.openUntil ? 'open' : 'half-open';
  }

  async state(provider: string, options: { fresh?: boolean } = {}): Promise<BreakerState> {
    return this.#stateOf(await this.#read(provider, options.fresh));
  }

  /**
   * Whether an attempt may go to `provider` now: always when closed, never while open, and for
   * exactly one caller in the fleet per cooldown when half-open (that caller runs the probe).
   */
  async allow(provider: string): Promise<boolean> {
    const state = await this.state(provider);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    // Half-open by the cache: confirm, then race for the probe.
    if ((await this.state(provider, { fresh: true })) !== 'half-open') return (await this.state(provider)) === 'closed';
    const won = await this.#redis.set(`${this.#key(provider)}:probe`, '1', 'PX', this.#options.cooldownMs, 'NX');
    return won === 'OK';
  }

  async success(provider: string): Promise<void> {
    // Closed now, as far as this process knows (it just cleared the counters): the next allow()
    // needs no read, the way it needs none for a second after a read.
    this.#cache.set(provider, { failures: 0, openUntil: 0, readAt: this.#options.now() });
    await this.#redis.del(this.#key(provider), `${this.#key(provider)}:probe`);
  }

  async failure(provider: string): Promise<void> {
    this.#cache.delete(provider);
    const openUntil = this.#options.now() + this.#options.cooldownMs;
    await recordFailure.run(this.#redis, [this.#key(provider), `${this.#key(provider)}:probe`], [this.#options.failures, openUntil, ttlMs]);
  }
}
