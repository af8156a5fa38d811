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
  /** The caller hanging up stops the wait; the job goes on. */
  hangUp: HangUp;
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
      if (succeeded && !options.hangUp.hungUp) return { succeeded: true };
      woken = false;
      current = (await runtime.repo.getJob(job.id, job.tenantId)) ?? current;
      const left = deadline - Date.now();
      if (isTerminal(current.status) || left <= 0 || options.hangUp.hungUp) return { succeeded: false, job: current };
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.hangUp.off(done);
          wake = () => {};
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, pollMs));
        options.hangUp.on(done);
        wake = done;
      });
    }
  } finally {
    stopListening();
  }
}

type RawReply = { once(event: 'close', listener: () => void): unknown; writableFinished: boolean };

/**
 * Whether the client went away before its answer was sent, and whom to tell when it does. Not an
 * AbortSignal: an AbortController per request, and a listener added to and removed from its
 * signal, cost tens of microseconds of CPU, more than everything else a wait does for itself.
 */
export class HangUp {
  #hungUp = false;
  /** One at a time: a route waits for one thing at a time (the run here, then the job). */
  #listener: (() => void) | undefined;

  constructor(raw: RawReply) {
    raw.once('close', () => {
      if (raw.writableFinished) return;
      this.#hungUp = true;
      const listener = this.#listener;
      this.#listener = undefined;
      listener?.();
    });
  }

  get hungUp(): boolean {
    return this.#hungUp;
  }

  /** Calls `listener` once if the client hangs up before `off`; it replaces the one before. */
  on(listener: () => void): void {
    this.#listener = listener;
  }

  off(listener: () => void): void {
    if (this.#listener === listener) this.#listener = undefined;
  }
}
