// Async operations of the simulated provider. State is derived from the clock on each look
// (no timers), so thousands of pending operations cost nothing until someone polls them.
import { randomUUID } from 'node:crypto';
import type { KeyState } from './limits.ts';
import type { MediaShape } from './models.ts';

export const operationStatuses = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type OperationStatus = (typeof operationStatuses)[number];

export interface OperationError {
  code: string;
  message: string;
}

export interface Operation {
  id: string;
  key: KeyState;
  createdAt: number;
  latencyMs: number;
  progressSteps: number;
  shape: MediaShape;
  /** Set when a fault makes the operation end failed instead of succeeded. */
  failure?: OperationError;
  canceled: boolean;
  /** Terminal status once reached; the key's concurrency slot is freed exactly then. */
  settled?: OperationStatus;
}

/** What GET /v1/operations/:id answers. */
export interface OperationView {
  id: string;
  status: OperationStatus;
  progress: number;
  output_url?: string;
  error?: OperationError;
}

export interface OperationCounts {
  created: number;
  succeeded: number;
  failed: number;
  canceled: number;
}

/** Unfinished operations ordered by when they end: settling costs O(log n), not a scan. */
class DeadlineHeap {
  private readonly items: Operation[] = [];

  private deadline(index: number): number {
    const operation = this.items[index];
    return operation ? operation.createdAt + operation.latencyMs : Infinity;
  }

  private swap(a: number, b: number): void {
    const first = this.items[a];
    const second = this.items[b];
    if (!first || !second) return;
    this.items[a] = second;
    this.items[b] = first;
  }

  push(operation: Operation): void {
    this.items.push(operation);
    let index = this.items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.deadline(parent) <= this.deadline(index)) break;
      this.swap(parent, index);
      index = parent;
    }
  }

  /** Removes and returns the earliest operation if it ends at or before `now`. */
  popDue(now: number): Operation | undefined {
    const top = this.items[0];
    if (!top || this.deadline(0) > now) return undefined;
    const last = this.items.pop();
    if (last && this.items.length > 0) {
      this.items[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.items.length && this.deadline(left) < this.deadline(smallest)) smallest = left;
        if (right < this.items.length && this.deadline(right) < this.deadline(smallest)) smallest = right;
        if (smallest === index) break;
        this.swap(index, smallest);
        index = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

export class Operations {
  private readonly byId = new Map<string, Operation>();
  private readonly active = new DeadlineHeap();
  counts: OperationCounts = { created: 0, succeeded: 0, failed: 0, canceled: 0 };

  create(fields: Omit<Operation, 'id' | 'canceled'>): Operation {
    const operation: Operation = { ...fields, id: `op_${randomUUID().replaceAll('-', '')}`, canceled: false };
    this.byId.set(operation.id, operation);
    this.active.push(operation);
    this.counts.created++;
    return operation;
  }

  get(id: string): Operation | undefined {
    return this.byId.get(id);
  }

  /** The status at `now`; records the end (and frees the key's slot) the first time it is reached. */
  status(operation: Operation, now: number): OperationStatus {
    if (operation.settled) return operation.settled;
    if (operation.canceled) return this.finish(operation, 'canceled');
    const elapsed = now - operation.createdAt;
    if (elapsed >= operation.latencyMs) return this.finish(operation, operation.failure ? 'failed' : 'succeeded');
    return elapsed < operation.latencyMs * 0.1 ? 'queued' : 'running';
  }

  /** Progress grows in `progressSteps` even steps over the latency; 100 only when succeeded. */
  progress(operation: Operation, status: OperationStatus, now: number): number {
    if (status === 'succeeded') return 100;
    if (status !== 'running' || operation.progressSteps === 0) return 0;
    const fraction = (now - operation.createdAt) / operation.latencyMs;
    return Math.min(99, Math.floor((Math.floor(fraction * operation.progressSteps) / operation.progressSteps) * 100));
  }

  view(operation: Operation, now: number, baseUrl: string): OperationView {
    const status = this.status(operation, now);
    const view: OperationView = { id: operation.id, status, progress: this.progress(operation, status, now) };
    if (status === 'succeeded') view.output_url = `${baseUrl}/v1/outputs/${operation.id}`;
    if (status === 'failed' && operation.failure) view.error = operation.failure;
    return view;
  }

  /** Stops unfinished work; a finished operation keeps its end state. */
  cancel(operation: Operation, now: number): void {
    const status = this.status(operation, now);
    if (status === 'queued' || status === 'running') {
      operation.canceled = true;
      this.status(operation, now);
    }
  }

  /** Brings every unfinished operation up to `now`, so concurrency counts reflect real work. */
  settleAll(now: number): void {
    for (let operation = this.active.popDue(now); operation; operation = this.active.popDue(now)) this.status(operation, now);
  }

  clear(): void {
    this.byId.clear();
    this.active.clear();
    this.counts = { created: 0, succeeded: 0, failed: 0, canceled: 0 };
  }

  private finish(operation: Operation, status: 'succeeded' | 'failed' | 'canceled'): OperationStatus {
    operation.settled = status;
    this.counts[status]++;
    operation.key.release();
    return status;
  }
}
