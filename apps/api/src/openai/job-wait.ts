// Waits for a job to end, for the OpenAI routes that answer synchronously: woken by the live
// event feed, with a database read every second as the safety net for a dropped message.
import { isTerminal } from '@mediagate/core';
import type { JobRecord } from '@mediagate/db';
import type { Runtime } from '@mediagate/engine';
import type { EventHub } from '../event-hub.ts';
import { isTerminalEvent } from '../job-feed.ts';

const pollMs = 1000;

export interface WaitOptions {
  timeoutMs: number;
  /** Aborted when the caller hangs up: the wait stops, the job goes on. */
  signal: AbortSignal;
}

/**
 * How the wait ended: the live feed said the job succeeded (its outputs are committed, so there
 * is nothing left to read but them), or the job as the database has it — terminal, or still
 * going when the timeout or the signal ended the wait.
 */
export type WaitResult = { succeeded: true } | { succeeded: false; job: JobRecord };

export async function waitForJob(runtime: Runtime, hub: EventHub, job: JobRecord, options: WaitOptions): Promise<WaitResult> {
  let woken = false;
  let succeeded = false;
  let wake = () => {};
  const stopListening = await hub.listenToJob(job.id, (message) => {
    if (!isTerminalEvent(message)) return;
    // Published after the completion committed: no need to read the job again to know it.
    succeeded = message.type === 'succeeded';
    woken = true;
    wake();
  });
  const deadline = Date.now() + options.timeoutMs;
  let current = job;
  try {
    for (;;) {
      if (succeeded && !options.signal.aborted) return { succeeded: true };
      woken = false;
      current = (await runtime.repo.getJob(job.id, job.tenantId)) ?? current;
      const left = deadline - Date.now();
      if (isTerminal(current.status) || left <= 0 || options.signal.aborted) return { succeeded: false, job: current };
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', done);
          wake = () => {};
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, pollMs));
        options.signal.addEventListener('abort', done, { once: true });
        wake = done;
      });
    }
  } finally {
    stopListening();
  }
}

/** An AbortSignal that fires when the client goes away before its answer was sent. */
export function hangUpSignal(raw: { once(event: 'close', listener: () => void): unknown; writableFinished: boolean }): AbortSignal {
  const controller = new AbortController();
  raw.once('close', () => {
    if (!raw.writableFinished) controller.abort();
  });
  return controller.signal;
}
