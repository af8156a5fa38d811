// `jobs.wait`: follows the job's event stream until its terminal event, and polls the job
// instead where no event stream gets through (a proxy that buffers or strips SSE).
import { MediagateTimeoutError } from './errors.ts';
import { EventStreamUnavailableError, type JobEventsOptions } from './job-events.ts';
import type { JobEvent, JobStatus, JobView } from './types.ts';

// Spelled out rather than imported from @mediagate/core, so the client bundle carries no zod.
const terminalStatuses: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'canceled'] satisfies JobStatus[]);

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this long, ms, with MediagateTimeoutError (the job goes on). No limit by default. */
  timeoutMs?: number;
  /** Called with each event as it arrives (when polling: the new events at each poll). */
  onEvent?: (event: JobEvent) => void;
  /** How often to poll when there is no event stream, ms (default 1000). */
  pollIntervalMs?: number;
}

/** What waiting needs of `client.jobs` (an interface, so this module does not import it back). */
export interface JobReader {
  events(id: string, options: JobEventsOptions): AsyncIterable<JobEvent>;
  get(id: string, options: { signal?: AbortSignal }): Promise<JobView>;
  listEvents(id: string, options: { after?: number; signal?: AbortSignal }): Promise<JobEvent[]>;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function waitForJob(jobs: JobReader, id: string, options: WaitOptions): Promise<JobView> {
  const timeout = new AbortController();
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(new MediagateTimeoutError(id, options.timeoutMs ?? 0)), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  let lastSeq = 0;
  try {
    try {
      for await (const event of jobs.events(id, { signal })) {
        lastSeq = event.seq;
        options.onEvent?.(event);
      }
    } catch (error) {
      if (!(error instanceof EventStreamUnavailableError)) throw error;
    }
    for (;;) {
      // After a terminal event the job's row says so too; polling covers the stream-less case.
      const job = await jobs.get(id, { signal });
      if (options.onEvent && job.last_event_seq > lastSeq) {
        for (const event of await jobs.listEvents(id, { after: lastSeq, signal })) {
          lastSeq = event.seq;
          options.onEvent(event);
        }
      }
      if (terminalStatuses.has(job.status)) return job;
      await delay(options.pollIntervalMs ?? 1000, signal);
    }
  } finally {
    clearTimeout(timer);
  }
}
