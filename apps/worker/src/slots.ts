// The worker slots of each queue this process works, shared between its BullMQ worker and the
// jobs run here at once (run-here.ts): a run here takes a slot only when the worker leaves one
// free, and the worker's concurrency shrinks by one while it runs, so the two together never run
// more than the queue's concurrency. One slot always stays with the worker, so queued work moves.
import type { Worker } from 'bullmq';
import type { SlotGate } from '@mediagate/engine';

interface QueueSlots {
  concurrency: number;
  /** Entries the worker is running. */
  busy: number;
  /** Jobs running here. */
  here: number;
  worker: Pick<Worker, 'concurrency'> | undefined;
}

export class WorkerSlots implements SlotGate {
  readonly #queues = new Map<string, QueueSlots>();

  add(provider: string, pool: string, concurrency: number): void {
    this.#queues.set(key(provider, pool), { concurrency, busy: 0, here: 0, worker: undefined });
  }

  attach(provider: string, pool: string, worker: Pick<Worker, 'concurrency'>): void {
    const queue = this.#queues.get(key(provider, pool));
    if (queue) queue.worker = worker;
  }

  /** Runs `work` as one of the worker's own entries. */
  async track<T>(provider: string, pool: string, work: () => Promise<T>): Promise<T> {
    const queue = this.#queues.get(key(provider, pool));
    if (queue) queue.busy += 1;
    try {
      return await work();
    } finally {
      if (queue) queue.busy -= 1;
    }
  }

  take(provider: string, pool: string): boolean {
    const queue = this.#queues.get(key(provider, pool));
    if (queue?.worker === undefined) return false;
    if (queue.here + 1 >= queue.concurrency || queue.busy + queue.here + 1 > queue.concurrency) return false;
    queue.here += 1;
    queue.worker.concurrency = queue.concurrency - queue.here;
    return true;
  }

  give(provider: string, pool: string): void {
    const queue = this.#queues.get(key(provider, pool));
    if (queue === undefined || queue.here === 0) return;
    queue.here -= 1;
    if (queue.worker) queue.worker.concurrency = queue.concurrency - queue.here;
  }
}

function key(provider: string, pool: string): string {
  return `${provider}\u0000${pool}`;
}
