// Provider keys as the whole fleet sees them: which key of a pool to use now (the least loaded
// one with capacity, chosen atomically in Redis), waiting for the earliest slot when none has
// one, cooling a key down after a 429, and taking it out of use after a 401/403 — for every
// process at once. Keys come from the config, the environment and the database (admin API).
import { randomUUID } from 'node:crypto';
import type { ProviderKey } from '@mediagate/providers';
import { defaultPool, type KeyDefinition } from './limits/key-definitions.ts';
import type { FleetLimits, KeyStatus, KeyUsage } from './limits/fleet-limits.ts';
import { healthOf, type Health } from './limits/health.ts';

/** A key taken for one attempt: `release` it when the attempt ends. */
export interface LeasedKey extends ProviderKey {
  pool: string;
  leaseId: string;
}

export type KeyChoice =
  | { type: 'key'; key: LeasedKey }
  /** The provider needs no key, or none is configured: call without one. */
  | { type: 'none' }
  /** No key has capacity before `maxWaitMs`: try again at `at` (this process's clock). */
  | { type: 'wait'; at: number }
  /** Every key of the pool is disabled. */
  | { type: 'exhausted'; reason: string };

/** A key in `GET /v1/providers`: ids, limits, status and use — never the secret. */
export interface KeyView {
  id: string;
  pool: string;
  source: KeyDefinition['source'];
  status: KeyStatus;
  reason?: string;
  limits: KeyDefinition['limits'];
  in_flight: number;
  requests_last_minute: number;
  requests_today: number;
  health: Health;
}

export interface KeyPoolOptions {
  limits: FleetLimits;
  /** Keys from the config and the environment. */
  keys: KeyDefinition[];
  /** Keys added at run time (the database), re-read every `refreshMs`; `disabled` ones are listed, not used. */
  loadStored?: () => Promise<(KeyDefinition & { disabled?: boolean })[]>;
  refreshMs?: number;
  /** Longest an acquire waits in-process for a slot before answering `wait`. */
  maxWaitMs?: number;
  onError?: (error: unknown) => void;
}

const keylessId = '-';

function sleep(ms: number, wake: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    void wake.then(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class KeyPool {
  readonly limits: FleetLimits;
  readonly #static: KeyDefinition[];
  readonly #loadStored: KeyPoolOptions['loadStored'];
  readonly #refreshMs: number;
  readonly #maxWaitMs: number;
  readonly #onError: (error: unknown) => void;
  #stored: (KeyDefinition & { disabled?: boolean })[] = [];
  #storedAt = 0;
  #refreshing: Promise<void> | undefined;
  /** One waiter per provider and pool asks Redis at a time; the others queue behind it here. */
  readonly #gates = new Map<string, Promise<unknown>>();
  /** Wakes this process's waiter when one of its own leases ends (other processes: the wait time). */
  readonly #wakers = new Map<string, () => void>();
  readonly #renewals = new Map<string, NodeJS.Timeout>();

  constructor(options: KeyPoolOptions) {
    this.limits = options.limits;
    this.#static = options.keys;
    this.#loadStored = options.loadStored;
    this.#refreshMs = options.refreshMs ?? 2000;
    this.#maxWaitMs = options.maxWaitMs ?? 30_000;
    this.#onError = options.onError ?? (() => {});
  }

  /** Re-reads the stored keys now (after an admin change in this process) or when they are stale. */
  async refresh(force = false): Promise<void> {
    if (this.#loadStored === undefined) return;
    if (!force && Date.now() - this.#storedAt < this.#refreshMs) return;
    this.#refreshing ??= this.#loadStored()
      .then((stored) => {
        this.#stored = stored;
        this.#storedAt = Date.now();
      })
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        this.#refreshing = undefined;
      });
    await this.#refreshing;
  }

  /** Every key known to this process, stored ones as of the last refresh. */
  all(provider?: string): (KeyDefinition & { disabled?: boolean })[] {
    const known = new Set(this.#static.map((key) => `${key.provider}/${key.id}`));
    const all = [...this.#static, ...this.#stored.filter((key) => !known.has(`${key.provider}/${key.id}`))];
    return provider === undefined ? all : all.filter((key) => key.provider === provider);
  }

  /** Pool names of a provider (`default` first when it has one). */
  pools(provider: string): string[] {
    const names = [...new Set(this.all(provider).map((key) => key.pool))];
    return names.sort((a, b) => (a === defaultPool ? -1 : b === defaultPool ? 1 : a.localeCompare(b)));
  }

  /**
   * The pool a job's attempt on `provider` uses: the one it names when the provider has it, else
   * `default` (every key of the provider when it has no `default` pool).
   */
  poolFor(provider: string, requested: string | undefined): string {
    // Most jobs name no pool: no need to list the provider's.
    if (requested === undefined) return defaultPool;
    const pools = this.pools(provider);
    if (requested !== undefined && pools.includes(requested)) return requested;
    return defaultPool;
  }

  #candidates(provider: string, pool: string): KeyDefinition[] {
    const keys = this.all(provider).filter((key) => !key.disabled);
    const inPool = keys.filter((key) => key.pool === pool);
    return inPool.length > 0 || pool !== defaultPool ? inPool : keys;
  }

  /**
   * Takes a slot on the least-loaded key of the pool with capacity, fleet-wide: the request is
   * counted against its rpm and daily caps and holds a concurrency lease until `release`. With no
   * capacity it waits for the earliest slot, up to `maxWaitMs`.
   */
  async acquire(provider: string, pool: string, options: { signal?: AbortSignal; maxWaitMs?: number } = {}): Promise<KeyChoice> {
    await this.refresh();
    // A provider without keys (local, say) is the common case here: no extra read for it.
    if (this.all(provider).length === 0) return { type: 'none' };
    const gateKey = `${provider}\u0000${pool}`;
    const previous = this.#gates.get(gateKey) ?? Promise.resolve();
    const turn = previous.then(() => this.#acquireInTurn(provider, pool, gateKey, options));
    const settled = turn.catch(() => undefined);
    this.#gates.set(gateKey, settled);
    void settled.then(() => {
      if (this.#gates.get(gateKey) === settled) this.#gates.delete(gateKey);
    });
    return turn;
  }

  async #acquireInTurn(provider: string, pool: string, gateKey: string, options: { signal?: AbortSignal; maxWaitMs?: number }): Promise<KeyChoice> {
    const deadline = Date.now() + (options.maxWaitMs ?? this.#maxWaitMs);
    // Before giving up for want of a usable key, the stored keys are read again once: another
    // process may have added one since this one last read them (every refreshMs).
    let reread = false;
    for (;;) {
      await this.refresh();
      const candidates = this.#candidates(provider, pool);
      if (candidates.length === 0) {
        if (!reread && (await this.#reread())) {
          reread = true;
          continue;
        }
        const disabled = this.all(provider).filter((key) => key.pool === pool || pool === defaultPool);
        return { type: 'exhausted', reason: disabled.map((key) => `${key.id}: inactive`).join('; ') || `pool ${pool} has no keys` };
      }
      const leaseId = randomUUID();
      const result = await this.limits.acquire(candidates, leaseId);
      if (result.type === 'key') {
        const chosen = candidates[result.index]!;
        this.#renew(chosen.provider, chosen.id, leaseId);
        return { type: 'key', key: { id: chosen.id, secret: chosen.secret, pool: chosen.pool, leaseId } };
      }
      if (result.type === 'disabled') {
        if (!reread && (await this.#reread())) {
          reread = true;
          continue;
        }
        const usage = await this.limits.usage(candidates);
        return { type: 'exhausted', reason: candidates.map((key, index) => `${key.id}: ${usage[index]?.reason ?? usage[index]?.status}`).join('; ') };
      }
      const at = Date.now() + result.ms;
      if (at > deadline || options.signal?.aborted) return { type: 'wait', at };
      const woken = new Promise<void>((resolve) => this.#wakers.set(gateKey, resolve));
      await sleep(result.ms, woken, options.signal);
      this.#wakers.delete(gateKey);
    }
  }

  /** Reads the stored keys now, whatever their age; false when this pool has none to read. */
  async #reread(): Promise<boolean> {
    if (this.#loadStored === undefined) return false;
    await this.refresh(true);
    return true;
  }

  /** Keeps a lease alive while its attempt runs (a crashed process's lease expires instead). */
  #renew(provider: string, id: string, leaseId: string): void {
    const timer = setInterval(() => {
      this.limits.lease(provider, id, leaseId).catch((error: unknown) => this.#onError(error));
    }, Math.max(50, Math.floor(this.limits.leaseTtlMs / 3)));
    timer.unref();
    this.#renewals.set(leaseId, timer);
  }

  /**
   * The key with this id holding a concurrency lease, without counting a request: to resume
   * polling work the provider already has, with the key that submitted it.
   */
  async hold(provider: string, keyId: string): Promise<LeasedKey | undefined> {
    await this.refresh();
    const key = this.all(provider).find((candidate) => candidate.id === keyId);
    if (key === undefined) return undefined;
    const leaseId = randomUUID();
    await this.limits.lease(provider, key.id, leaseId);
    this.#renew(provider, key.id, leaseId);
    return { id: key.id, secret: key.secret, pool: key.pool, leaseId };
  }

  /** The request of this lease goes out now: its rpm slot is timed from here (see FleetLimits.sent). */
  async sent(provider: string, key: ProviderKey): Promise<void> {
    const leased = key as Partial<LeasedKey>;
    if (leased.leaseId === undefined) return;
    await this.limits.sent(provider, key.id, leased.leaseId).catch((error: unknown) => this.#onError(error));
  }

  /**
   * Ends an attempt's lease; a key without one (e.g. from a test) is ignored. `unused`: nothing
   * was sent with it (the job was no longer there to claim), so its rpm and daily slot come back.
   */
  async release(provider: string, key: ProviderKey, options: { unused?: boolean } = {}): Promise<void> {
    const leased = key as Partial<LeasedKey>;
    if (leased.leaseId === undefined) return;
    const timer = this.#renewals.get(leased.leaseId);
    clearInterval(timer);
    this.#renewals.delete(leased.leaseId);
    await this.limits.release(provider, key.id, leased.leaseId, options.unused ?? false).catch((error: unknown) => this.#onError(error));
    this.#wakers.get(`${provider}\u0000${leased.pool ?? defaultPool}`)?.();
  }

  /** After a 429: no slot on this key, in any process, for `ms`. */
  async coolDown(provider: string, keyId: string, ms: number): Promise<void> {
    await this.limits.coolDown(provider, keyId, ms);
  }

  /** After a 401/403: the key is `error` for every process until re-enabled. */
  async disable(provider: string, keyId: string, reason: string): Promise<void> {
    await this.limits.setStatus(provider, keyId, 'error', reason);
  }

  /** Whether some key of the pool is usable now (`ready`), and whether any is not disabled (`enabled`). */
  async status(provider: string, pool: string): Promise<{ ready: boolean; enabled: boolean }> {
    const candidates = this.#candidates(provider, pool);
    const usage = await this.limits.usage(candidates);
    return {
      ready: usage.some((entry) => entry.status === 'active'),
      enabled: usage.some((entry) => entry.status === 'active' || entry.status === 'rate_limited'),
    };
  }

  /** Rolling health: how one attempt went (keyless providers count under the provider). */
  async recordOutcome(provider: string, keyId: string | undefined, outcome: { ok: boolean; latencyMs: number }): Promise<void> {
    await this.limits.record(provider, keyId ?? keylessId, outcome).catch((error: unknown) => this.#onError(error));
  }

  /** Ids, pools, limits, status, use and health of a provider's keys; never the secret. */
  async describe(provider: string): Promise<KeyView[]> {
    await this.refresh();
    const keys = this.all(provider);
    const [usage, outcomes] = await Promise.all([this.limits.usage(keys), this.limits.outcomes(keys)]);
    return keys.map((key, index) => {
      const use: KeyUsage | undefined = usage[index];
      const status: KeyStatus = key.disabled ? 'inactive' : (use?.status ?? 'active');
      return {
        id: key.id,
        pool: key.pool,
        source: key.source,
        status,
        ...(status === 'error' || status === 'inactive' ? { reason: use?.reason ?? 'disabled' } : {}),
        limits: key.limits,
        in_flight: use?.inFlight ?? 0,
        requests_last_minute: use?.lastMinute ?? 0,
        requests_today: use?.today ?? 0,
        health: healthOf(outcomes[index] ?? []),
      };
    });
  }

  /** Health of a provider over all its keys (and its keyless attempts). */
  async providerHealth(provider: string): Promise<Health> {
    const ids = [...this.all(provider).map((key) => key.id), keylessId];
    const outcomes = await this.limits.outcomes(ids.map((id) => ({ provider, id })));
    return healthOf(outcomes.flat());
  }

  /** Stops lease renewals (the leases then expire on their own). */
  close(): void {
    for (const timer of this.#renewals.values()) clearInterval(timer);
    this.#renewals.clear();
  }
}
