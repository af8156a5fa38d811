// Rolling lists in Redis that every attempt appends to (routing stats per target, key health):
// newest first, capped, expiring when unused. Appends made in the same turn of the event loop go
// out together as one MULTI — one LPUSH of all new entries per list, then its LTRIM and PEXPIRE —
// instead of a transaction per attempt: under load that is a few commands per batch of jobs
// rather than five per job and list.
import type { Redis } from 'ioredis';

interface PendingList {
  values: string[];
  /** Entries kept. */
  cap: number;
  ttlMs: number;
}

export class CappedLists {
  readonly #redis: Redis;
  #pending = new Map<string, PendingList>();
  #flush: Promise<void> | undefined;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /**
   * Puts `value` at the head of `key`, keeping its newest `cap` entries and refreshing its
   * expiry. Resolves once the write is in Redis (with the others of its batch).
   */
  push(key: string, value: string, cap: number, ttlMs: number): Promise<void> {
    const pending = this.#pending.get(key);
    if (pending === undefined) this.#pending.set(key, { values: [value], cap, ttlMs });
    else pending.values.push(value);
    this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#write());
    return this.#flush;
  }

  async #write(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flush = undefined;
    const multi = this.#redis.multi();
    // LPUSH with several values pushes them in order, so the last one given ends up first: the
    // same list as one LPUSH per value.
    for (const [key, { values, cap, ttlMs }] of batch) multi.lpush(key, ...values).ltrim(key, 0, cap - 1).pexpire(key, ttlMs);
    await multi.exec();
  }
}

const byClient = new WeakMap<Redis, CappedLists>();

/** The batcher of one Redis client, shared by everything that writes rolling lists through it. */
export function cappedLists(redis: Redis): CappedLists {
  let lists = byClient.get(redis);
  if (lists === undefined) {
    lists = new CappedLists(redis);
    byClient.set(redis, lists);
  }
  return lists;
}
