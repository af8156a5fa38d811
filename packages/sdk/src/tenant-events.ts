// `client.events.stream()`: every event of the tenant's jobs as they happen (GET /v1/events), as
// an async iterator that reconnects when the connection drops. Live only: the server replays
// nothing on this stream, so a job whose every event matters is followed with `jobs.events`.
import { MediagateConnectionError, MediagateError } from './errors.ts';
import type { HttpClient } from './http.ts';
import { backOffOrGiveUp, eventStreamBody } from './job-events.ts';
import { parseEventStream } from './sse-parser.ts';
import type { JobEvent } from './types.ts';

export interface TenantEventsOptions {
  /** Stops the stream; the iterator then throws the signal's reason. */
  signal?: AbortSignal;
  /** Reconnects allowed in a row without receiving an event (default 5). */
  maxRetries?: number;
  /** First reconnect delay, ms, doubling each time up to 10 s (default 250). */
  retryDelayMs?: number;
}

export class TenantEvents {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /**
   * Events of all the tenant's jobs, from now on, until the loop breaks or `signal` aborts.
   * Events sent while a dropped connection is re-established are not replayed.
   */
  async *stream(options: TenantEventsOptions = {}): AsyncGenerator<JobEvent> {
    const { signal } = options;
    const maxRetries = options.maxRetries ?? 5;
    const baseDelayMs = options.retryDelayMs ?? 250;
    let failures = 0;
    let lastFailure: unknown;
    for (;;) {
      const connection = new AbortController();
      const connectionSignal = signal ? AbortSignal.any([signal, connection.signal]) : connection.signal;
      try {
        const response = await this.#http.open('/v1/events', { headers: { accept: 'text/event-stream' }, signal: connectionSignal });
        for await (const frame of parseEventStream(await eventStreamBody(response))) {
          signal?.throwIfAborted();
          // The tenant is the caller's own: JobEvent leaves it out, as the per-job stream does.
          const { jobId, seq, type, data, createdAt } = JSON.parse(frame.data) as JobEvent;
          failures = 0;
          yield { jobId, seq, type, data, createdAt };
        }
        lastFailure = new MediagateConnectionError('/v1/events: the server closed the stream');
      } catch (error) {
        signal?.throwIfAborted();
        if (error instanceof MediagateError && !error.isRetryable) throw error;
        lastFailure = error;
      } finally {
        connection.abort();
      }
      failures++;
      await backOffOrGiveUp('/v1/events', failures, lastFailure, { maxRetries, delayMs: baseDelayMs, signal });
    }
  }
}
