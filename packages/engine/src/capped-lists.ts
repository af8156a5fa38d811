// Rolling lists in Redis that every attempt appends to (routing stats per target, key health):
// newest first, capped, expiring when unused. Appends made in the same turn of the event loop go
// out together — one LPUSH of all new entries per list, then its LTRIM and PEXPIRE — in the one
// write the connection makes per turn (redis.ts), instead of commands per attempt: under load
// that is a few commands per batch of jobs rather than three per job and list. No MULTI: a
// reader between the LPUSH and the LTRIM sees a few entries more, which no reader minds.
import type { Redis } from 'ioredis';
import { beforeWrite } from './redis.ts';

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
    // Written from inside the turn's end, so its commands leave in the turn's one write.
    this.#flush ??= new Promise<void>((resolve, reject) => beforeWrite(this.#redis, () => this.#write().then(resolve, reject)));
    return this.#flush;
  }

  async #write(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flush = undefined;
    const writes: Promise<unknown>[] = [];
    // LPUSH with several values pushes them in order, so the last one given ends up first: the
    // same list as one LPUSH per value.
    for (const [key, { values, cap, ttlMs }] of batch) writes.push(this.#redis.lpush(key, ...values), this.#redis.ltrim(key, 0, cap - 1), this.#redis.pexpire(key, ttlMs));
    await Promise.all(writes);
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
