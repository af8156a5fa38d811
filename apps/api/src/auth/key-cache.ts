// Verified keys, kept briefly in this process so a request costs a hash and a map lookup, not a
// database read. A revoke made through this process drops the key at once; one made through
// another process sharing the database takes effect here within `ttlMs`.
import type { Repository } from '@mediagate/db';
import { hashApiKey } from './api-keys.ts';

export interface Caller {
  tenantId: string;
  keyId: string;
}

export type Verdict = { ok: true; caller: Caller } | { ok: false; reason: 'unknown' | 'revoked' };

interface Entry {
  caller: Caller;
  until: number;
}

export interface KeyCacheOptions {
  /** How long a verified key is trusted without a read; default 10 s. 0 reads every time. */
  ttlMs?: number;
  /** Keys remembered at most; the oldest go first. */
  maxEntries?: number;
}

export const defaultKeyCacheTtlMs = 10_000;

export class KeyCache {
  readonly #repo: Repository;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();
  /** Bumped by every revoke: a lookup that started before one must not be remembered. */
  #generation = 0;
  readonly #forgetListeners: ((keyId: string) => void)[] = [];

  constructor(repo: Repository, options: KeyCacheOptions = {}) {
    this.#repo = repo;
    this.#ttlMs = options.ttlMs ?? defaultKeyCacheTtlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  async verify(key: string): Promise<Verdict> {
    const hash = hashApiKey(key);
    const now = Date.now();
    const caller = this.#fresh(hash, now);
    return caller === undefined ? this.#lookUp(hash, now) : { ok: true, caller };
  }

  /**
   * verify without the promise when the key is already trusted here: the caller it belongs to,
   * else undefined (then verify decides, with a database read).
   */
  cached(key: string): Caller | undefined {
    return this.#fresh(hashApiKey(key), Date.now());
  }

  #fresh(hash: string, now: number): Caller | undefined {
    const cached = this.#entries.get(hash);
    if (cached === undefined) return undefined;
    if (cached.until > now) return cached.caller;
    this.#entries.delete(hash);
    return undefined;
  }

  async #lookUp(hash: string, now: number): Promise<Verdict> {
    const generation = this.#generation;
    const found = await this.#repo.findApiKeyByHash(hash);
    if (found === undefined) return { ok: false, reason: 'unknown' };
    if (found.key.revokedAt !== null) return { ok: false, reason: 'revoked' };
    const caller = { tenantId: found.key.tenantId, keyId: found.key.id };
    if (this.#ttlMs > 0 && generation === this.#generation) {
      if (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
      this.#entries.set(hash, { caller, until: now + this.#ttlMs });
    }
    return { ok: true, caller };
  }

  /** Forgets the key with this id (after a revoke), and anything looked up while it was revoked. */
  forget(keyId: string): void {
    this.#generation += 1;
    for (const [hash, entry] of this.#entries) {
      if (entry.caller.keyId === keyId) this.#entries.delete(hash);
    }
    for (const listener of this.#forgetListeners) listener(keyId);
  }

  /** Called with the id of every key forgotten (revoked) through this process. */
  onForget(listener: (keyId: string) => void): void {
    this.#forgetListeners.push(listener);
  }
}
