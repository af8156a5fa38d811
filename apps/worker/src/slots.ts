// The worker slots of each queue this process works, shared between its BullMQ worker and the
// jobs run here at once (run-here.ts): a run here takes a slot only when the worker leaves one
// free, and the worker's concurrency shrinks by one while it runs, so the two together never run
// more than the queue's concurrency. One slot always stays with the worker, so queued work moves.
//
// Runs here must not pass jobs already waiting in the queue. Once a job has to be queued because
// every slot is taken, the queue counts as backlogged until its worker next finds it empty
// (BullMQ's `drained`), and new jobs queue behind it meanwhile. Entries queued by other processes
// are not seen here: the worker's own slot keeps them moving. (Marking the queue backlogged when
// the worker takes an entry would not do: BullMQ may report the queue drained before it hands
// that last entry to the processor.)
import type { Worker } from 'bullmq';
import type { SlotGate } from '@mediagate/engine';

interface QueueSlots {
  concurrency: number;
  /** Entries the worker is running. */
  busy: number;
  /** Jobs running here. */
  here: number;
  /** The queue may hold waiting entries: runs here wait until the worker has drained it. */
  backlog: boolean;
  worker: Pick<Worker, 'concurrency'> | undefined;
}

export class WorkerSlots implements SlotGate {
  readonly #queues = new Map<string, QueueSlots>();

  add(provider: string, pool: string, concurrency: number): void {
    this.#queues.set(key(provider, pool), { concurrency, busy: 0, here: 0, backlog: false, worker: undefined });
  }

  attach(provider: string, pool: string, worker: Pick<Worker, 'concurrency'>): void {
    const queue = this.#queues.get(key(provider, pool));
    if (queue) queue.worker = worker;
  }

  /** The worker found its queue empty (BullMQ's `drained` event). */
  drained(provider: string, pool: string): void {
    const queue = this.#queues.get(key(provider, pool));
    if (queue) queue.backlog = false;
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
    if (queue?.worker === undefined || queue.backlog) return false;
    if (queue.here + 1 >= queue.concurrency || queue.busy + queue.here + 1 > queue.concurrency) {
      // The caller queues the job instead.
      queue.backlog = true;
      return false;
    }
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
