// Server-Sent Events on a hijacked Fastify reply: the frame format, a heartbeat that keeps
// proxies from dropping an idle stream, and a cap on what a slow client may leave buffered.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { EventMessage } from '@mediagate/engine';

/** A client further behind than this is cut off; it resumes with Last-Event-ID (per-job streams). */
const maxBufferedBytes = 1024 * 1024;
export const heartbeatMs = 15_000;

/** What a client receives as `data:` — the event without its tenant. */
export interface EventPayload {
  jobId: string;
  seq: number;
  type: EventMessage['type'];
  data: EventMessage['data'];
  createdAt: string;
}

export function eventPayload(message: EventMessage): EventPayload {
  return { jobId: message.jobId, seq: message.seq, type: message.type, data: message.data, createdAt: message.createdAt };
}

// Many clients watch one job: each frame is serialized and encoded once, not once per client
// (every client of a message gets the same id: its seq, or jobId:seq on the tenant stream).
const frameCache = new WeakMap<EventMessage, { id: string; frame: Buffer }>();

/** One SSE frame. JSON.stringify escapes CR and LF, so `data` is always a single line. */
export function eventFrame(id: string, message: EventMessage): Buffer {
  const cached = frameCache.get(message);
  if (cached !== undefined && cached.id === id) return cached.frame;
  const frame = Buffer.from(`id: ${id}\nevent: ${message.type}\ndata: ${JSON.stringify(eventPayload(message))}\n\n`);
  frameCache.set(message, { id, frame });
  return frame;
}

export class SseStream {
  readonly #reply: FastifyReply;
  readonly #onHeartbeat: (() => void) | undefined;
  readonly #onClose: (() => void)[] = [];
  #raw: ServerResponse | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  /** Nothing is sent until `open()`, so the route can still answer with a normal error. */
  constructor(reply: FastifyReply, options: { onHeartbeat?: () => void } = {}) {
    this.#reply = reply;
    this.#onHeartbeat = options.onHeartbeat;
    // From the start: a client may leave while the route is still reading the database.
    reply.raw.on('close', () => this.#finish());
  }

  /** Takes the reply over from Fastify and sends the event-stream headers at once. */
  open(): void {
    if (this.#raw !== undefined) return;
    this.#reply.hijack();
    if (this.#closed) return;
    const raw = this.#reply.raw;
    this.#raw = raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to.
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    this.#heartbeat = setInterval(() => {
      this.#write(': ping\n\n');
      this.#onHeartbeat?.();
    }, heartbeatMs);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs once when the stream ends, whoever ended it. */
  onClose(callback: () => void): void {
    if (this.#closed) callback();
    else this.#onClose.push(callback);
  }

  send(id: string, message: EventMessage): void {
    this.#write(eventFrame(id, message));
  }

  /** Ends the response normally (the client sees the stream close). */
  end(): void {
    if (this.#closed) return;
    this.#raw?.end();
    this.#finish();
  }

  #write(chunk: string | Buffer): void {
    const raw = this.#raw;
    if (raw === undefined || this.#closed) return;
    if (raw.writableLength > maxBufferedBytes) {
      raw.destroy();
      this.#finish();
      return;
    }
    raw.write(chunk);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const callback of this.#onClose.splice(0)) callback();
  }
}
