// The ledger behind runs here (run-here.ts): one Redis sorted set per deployment holding a queue
// entry for each job running in the process that accepted it, scored by when the fleet should
// take that job over. The running process renews its entries' leases while they run; every
// worker process sweeps entries whose lease ran out into their queues, where the runner resumes
// the job from the database as after any crash. A run that ends here removes its entry.
//
// Why not a delayed BullMQ entry per run: adding and removing one runs two of BullMQ's larger
// scripts per job, each its own round trip on a connection that cannot be pipelined. ZADD and
// ZREM ride the pipelined connection (redis.ts) in the writes that carry the job's events.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { QueuePayload, Queues } from './queues.ts';

/** Entries moved to their queues per sweep; more wait for the next one. */
const sweepBatch = 100;
/** When moving an overdue entry to its queue failed, the next try. */
const retryMs = 1000;

export interface HereEntry {
  payload: QueuePayload;
  priority: number;
}

export class HereLedger {
  readonly #redis: Redis;
  readonly #queues: Queues;
  readonly #logger: Logger;
  readonly #key: string;
  readonly #leaseMs: number;
  /** Entries whose run is going on in this process: their leases are renewed, never swept here. */
  readonly #running = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(redis: Redis, queues: Queues, logger: Logger, leaseMs: number) {
    this.#redis = redis;
    this.#queues = queues;
    this.#logger = logger;
    this.#key = `${queues.prefix}:here`;
    this.#leaseMs = leaseMs;
  }

  /** The member that stands for `entry` (the same entry always gives the same string). */
  static member({ payload, priority }: HereEntry): string {
    const { jobId, targetIndex, provider, model, pool } = payload;
    return JSON.stringify({ jobId, targetIndex, provider, model, pool, priority });
  }

  /** Records an entry, due for the fleet one lease from now unless its run renews or removes it. */
  async hold(member: string): Promise<void> {
    await this.#redis.zadd(this.#key, Date.now() + this.#leaseMs, member);
  }

  /** The entry's run goes on in this process from now: its lease is renewed until `ended`. */
  running(member: string): void {
    this.#running.add(member);
  }

  ended(member: string): void {
    this.#running.delete(member);
  }

  /** Removes an entry (its run ended here, or it was never run). */
  async drop(member: string): Promise<void> {
    await this.#redis.zrem(this.#key, member);
  }

  /** Entries of the ledger with when each comes due (tests and diagnostics). */
  async entries(): Promise<{ member: string; dueAt: number }[]> {
    const flat = await this.#redis.zrange(this.#key, 0, -1, 'WITHSCORES');
    const entries: { member: string; dueAt: number }[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) entries.push({ member: flat[index] as string, dueAt: Number(flat[index + 1]) });
    return entries;
  }

  /** Renews and sweeps every third of a lease until stop(). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#ticking ??= this.tick().finally(() => {
        this.#ticking = undefined;
      });
    }, Math.max(50, Math.floor(this.#leaseMs / 3)));
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /** One renewal of this process's leases, then one sweep of what came due elsewhere. */
  async tick(): Promise<void> {
    try {
      await this.#renew();
      await this.sweep();
    } catch (error) {
      this.#logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'runs-here ledger not swept');
    }
  }

  async #renew(): Promise<void> {
    if (this.#running.size === 0) return;
    const dueAt = Date.now() + this.#leaseMs;
    // XX: an entry removed meanwhile (its run just ended) is not written back.
    await this.#redis.zadd(this.#key, 'XX', ...[...this.#running].flatMap((member) => [dueAt, member]));
  }

  /**
   * Moves entries whose lease ran out to their queues and says how many it moved. ZREM decides
   * which process moves an entry, so two sweepers never both do; one that fails to enqueue puts
   * the entry back for a later sweep.
   */
  async sweep(now = Date.now()): Promise<number> {
    const due = await this.#redis.zrangebyscore(this.#key, '-inf', now, 'LIMIT', 0, sweepBatch);
    let moved = 0;
    for (const member of due) {
      if (this.#running.has(member)) continue;
      if ((await this.#redis.zrem(this.#key, member)) !== 1) continue;
      const entry = parseMember(member);
      if (entry?.payload.provider === undefined) {
        this.#logger.warn({ member }, 'unreadable runs-here ledger entry; dropped');
        continue;
      }
      try {
        await this.#queues.enqueue(entry.payload.provider, entry.payload, { priority: entry.priority });
        moved += 1;
        this.#logger.info({ jobId: entry.payload.jobId }, 'a run here outlived its lease; its queue takes the job');
      } catch (error) {
        await this.#redis.zadd(this.#key, Date.now() + retryMs, member);
        throw error;
      }
    }
    return moved;
  }
}

function parseMember(member: string): HereEntry | undefined {
  try {
    const { priority, ...payload } = JSON.parse(member) as QueuePayload & { priority: number };
    if (typeof payload.jobId !== 'string' || typeof payload.targetIndex !== 'number') return undefined;
    return { payload, priority: typeof priority === 'number' ? priority : 50 };
  } catch {
    return undefined;
  }
}
