// One BullMQ queue per provider and key pool. The queue carries only ids; the job's
// truth lives in the database, so a stale or duplicated queue entry is harmless.
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface QueuePayload {
  jobId: string;
  /** Which of the job's targets this entry is for; stale entries are dropped. */
  targetIndex: number;
  /** That target, so a worker can claim the job and start its attempt in one write. */
  provider?: string;
  model?: string;
  /** The provider's key pool the job uses (its queue's); `default` when absent. */
  pool?: string;
}

export function queueName(prefix: string, provider: string, pool = 'default'): string {
  return `${prefix}.${provider}.${pool}`;
}

/** BullMQ job id: the first target uses the job id, each fallback hop its own. */
export function queueJobId(jobId: string, targetIndex: number): string {
  return targetIndex === 0 ? jobId : `${jobId}.h${targetIndex}`;
}

export class Queues {
  readonly #connection: Redis;
  readonly #prefix: string;
  readonly #queues = new Map<string, Queue<QueuePayload>>();

  constructor(connection: Redis, prefix: string) {
    this.#connection = connection;
    this.#prefix = prefix;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** The connection BullMQ's producer scripts live on (for other queues of this process). */
  get connection(): Redis {
    return this.#connection;
  }

  queue(provider: string, pool = 'default'): Queue<QueuePayload> {
    const name = queueName(this.#prefix, provider, pool);
    let queue = this.#queues.get(name);
    if (queue === undefined) {
      queue = new Queue<QueuePayload>(name, { connection: this.#connection });
      this.#queues.set(name, queue);
    }
    return queue;
  }

  async enqueue(provider: string, payload: QueuePayload, options: { priority?: number; delayMs?: number } = {}): Promise<void> {
    await this.queue(provider, payload.pool).add('generate', payload, {
      jobId: queueJobId(payload.jobId, payload.targetIndex),
      // The database keeps the record; finished queue entries would only fill Redis.
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
      // Retries live in the runner; these only cover a worker that could not even record the
      // outcome (the database unreachable, say): the entry comes back and the runner resumes.
      attempts: 5,
      backoff: { type: 'exponential', delay: 2000 },
      // Always set: BullMQ runs entries without a priority before every prioritized one.
      priority: options.priority ?? 50,
      ...(options.delayMs ? { delay: options.delayMs } : {}),
    });
  }

  /** Removes a waiting or delayed entry; a running one is left to the worker's cancel. */
  async remove(provider: string, jobId: string, targetIndex: number, pool = 'default'): Promise<boolean> {
    const removed = await this.queue(provider, pool).remove(queueJobId(jobId, targetIndex));
    return removed === 1;
  }

  /** Deletes every queue of this prefix with all its entries (tests and benchmarks clean up with it). */
  async obliterate(providers: readonly string[]): Promise<void> {
    const opened = [...this.#queues.values()].filter((queue) => providers.some((provider) => queue.name.startsWith(`${this.#prefix}.${provider}.`)));
    await Promise.all([...new Set([...providers.map((provider) => this.queue(provider)), ...opened])].map((queue) => queue.obliterate({ force: true })));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#queues.clear();
  }
}
