// What running a queue entry comes to, and the ticket for a run in the process that took the job
// (run-here.ts); kept apart so the runtime can name them without importing the runner.
import type { NewAsset } from '@mediagate/db';
import type { QueuePayload } from './queues.ts';

/** What to do with the queue entry after an attempt. */
export type Outcome =
  /** `outputs`: what a job that succeeded in this run stored (its asset rows, as written). */
  | { type: 'done'; succeeded?: boolean; outputs?: NewAsset[] }
  | { type: 'delay'; ms: number }
  | { type: 'next-key' };

export interface RunTicket {
  /** Records the entry that stands behind the run, for the fleet to take over if this process dies. */
  hold(): Promise<void>;
  /** Removes that entry when the run will not happen. */
  drop(): Promise<void>;
  /** Runs the job here; settles when the run ends or hands the job to the queue. */
  run(): Promise<Outcome>;
  /** Gives the slot back without running. */
  release(): void;
}

/** Runs jobs in this process when it works their queue and has a slot free. */
export interface RunsHere {
  reserve(payload: QueuePayload, priority: number): RunTicket | undefined;
}
