// A job's event stream as an async iterator: one SSE connection at a time, resumed with
// Last-Event-ID when it drops before the terminal event, so no event is missed or repeated.
import { MediagateConnectionError, MediagateError } from './errors.ts';
import type { HttpClient } from './http.ts';
import { parseEventStream } from './sse-parser.ts';
import type { JobEvent, JobEventType } from './types.ts';

export interface JobEventsOptions {
  /** Resume after this event (its seq, or the SSE id): only later events are yielded. */
  lastEventId?: string | number;
  /** Stops the stream; the iterator then throws the signal's reason. */
  signal?: AbortSignal;
  /** Reconnects allowed in a row without receiving an event (default 5). */
  maxRetries?: number;
  /** First reconnect delay, ms, doubling each time up to 10 s (default 250). */
  retryDelayMs?: number;
}

const terminalEvents: ReadonlySet<JobEventType> = new Set(['succeeded', 'failed', 'canceled']);
export const maxRetryDelayMs = 10_000;

export function isTerminalEvent(event: JobEvent): boolean {
  return terminalEvents.has(event.type);
}

/** The answer was not an event stream: a proxy or server without SSE. `jobs.wait` polls instead. */
export class EventStreamUnavailableError extends MediagateError {
  constructor(contentType: string | null) {
    super(200, 'event_stream_unavailable', `expected text/event-stream, got ${contentType ?? 'no content type'}`);
  }
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The body of an SSE answer; EventStreamUnavailableError (not retried) when the answer is anything else. */
export async function eventStreamBody(response: Response): Promise<NonNullable<Response['body']>> {
  const contentType = response.headers.get('content-type');
  if (!contentType?.startsWith('text/event-stream') || response.body === null) {
    await response.body?.cancel();
    throw new EventStreamUnavailableError(contentType);
  }
  return response.body;
}

/**
 * After the `failures`-th connection in a row ended without an event: gives up past `maxRetries`
 * (the last MediagateError as is, anything else as a MediagateConnectionError naming `path`),
 * else waits the backoff doubled per failure from `delayMs`, up to 10 s, with jitter.
 */
export async function backOffOrGiveUp(path: string, failures: number, lastFailure: unknown, options: { maxRetries: number; delayMs: number; signal: AbortSignal | undefined }): Promise<void> {
  if (failures > options.maxRetries) {
    if (lastFailure instanceof MediagateError) throw lastFailure;
    const reason = lastFailure instanceof Error ? lastFailure.message : String(lastFailure);
    throw new MediagateConnectionError(`${path}: gave up after ${options.maxRetries} reconnects (${reason})`, { cause: lastFailure });
  }
  const backoff = Math.min(maxRetryDelayMs, options.delayMs * 2 ** (failures - 1));
  // Jitter keeps many clients of one restarted server from reconnecting in lockstep.
  await sleep(backoff * (0.5 + Math.random() / 2), options.signal);
}

export async function* streamJobEvents(http: HttpClient, jobId: string, options: JobEventsOptions = {}): AsyncGenerator<JobEvent> {
  const { signal } = options;
  const maxRetries = options.maxRetries ?? 5;
  const baseDelayMs = options.retryDelayMs ?? 250;
  let lastId = options.lastEventId === undefined ? undefined : String(options.lastEventId);
  let failures = 0;
  let serverDelayMs: number | undefined;
  let lastFailure: unknown;
  const path = `/v1/jobs/${encodeURIComponent(jobId)}/events`;

  for (;;) {
    // Ours, so that leaving the loop early closes the connection at once.
    const connection = new AbortController();
    const connectionSignal = signal ? AbortSignal.any([signal, connection.signal]) : connection.signal;
    try {
      const response = await http.open(path, {
        headers: { accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'last-event-id': lastId }) },
        signal: connectionSignal,
      });
      // 204: the job had finished and nothing is left after our last event.
      if (response.status === 204) return;
      for await (const frame of parseEventStream(await eventStreamBody(response))) {
        // Frames already buffered would still parse after an abort: the caller asked for no more.
        signal?.throwIfAborted();
        if (frame.retry !== undefined) serverDelayMs = frame.retry;
        const event = JSON.parse(frame.data) as JobEvent;
        lastId = frame.id ?? String(event.seq);
        failures = 0;
        yield event;
        if (isTerminalEvent(event)) return;
      }
      lastFailure = new MediagateConnectionError(`${path}: the stream ended before the job finished`);
    } catch (error) {
      signal?.throwIfAborted();
      // The server refused (a 4xx, or no SSE here): reconnecting would not change its answer.
      if (error instanceof MediagateError && !error.isRetryable) throw error;
      lastFailure = error;
    } finally {
      connection.abort();
    }
    failures++;
    await backOffOrGiveUp(path, failures, lastFailure, { maxRetries, delayMs: serverDelayMs ?? baseDelayMs, signal });
  }
}
