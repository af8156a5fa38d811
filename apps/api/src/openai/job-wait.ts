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

/** The job once terminal, or as it stands when the timeout or the signal ends the wait. */
export async function waitForJob(runtime: Runtime, hub: EventHub, job: JobRecord, options: WaitOptions): Promise<JobRecord> {
  let woken = false;
  let wake = () => {};
  const stopListening = await hub.listenToJob(job.id, (message) => {
    if (!isTerminalEvent(message)) return;
    woken = true;
    wake();
  });
  const deadline = Date.now() + options.timeoutMs;
  let current = job;
  try {
    for (;;) {
      woken = false;
      current = (await runtime.repo.getJob(job.id, job.tenantId)) ?? current;
      const left = deadline - Date.now();
      if (isTerminal(current.status) || left <= 0 || options.signal.aborted) return current;
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
