// What running a queue entry comes to, and the ticket for a run in the process that took the job
// (run-here.ts); kept apart so the runtime can name them without importing the runner.
import type { AttemptRecord, JobRecord, NewAsset, NewJobAttempt } from '@mediagate/db';
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
  /**
   * The job's first attempt, picked (its key taken) before the job is written so that the insert
   * starts it (NewJob.attempt); undefined when the run claims the job as a queue entry would
   * (its provider's circuit is not closed, or no key is free at once). At most once per ticket.
   */
  firstAttempt(): Promise<NewJobAttempt | undefined>;
  /**
   * Runs the job here; settles when the run ends or hands the job to the queue. `started` is what
   * the insert answered when it started the first attempt.
   */
  run(started?: { job: JobRecord; attempt: AttemptRecord }): Promise<Outcome>;
  /** Gives the slot back without running, and the first attempt's key, unused. */
  release(): void;
}

/** Runs jobs in this process when it works their queue and has a slot free. */
export interface RunsHere {
  reserve(payload: QueuePayload, priority: number): RunTicket | undefined;
}
