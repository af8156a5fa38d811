// A small Server-Sent Events client for the API's tests: fetch plus a parser of the wire
// format, keeping every frame with its arrival time so tests can tell live events from a replay.

export interface Frame {
  id: string | undefined;
  event: string | undefined;
  data: string;
  /** performance.now() when the frame arrived. */
  receivedAt: number;
}

export interface EventPayload {
  jobId: string;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/** A client on one SSE stream: frames as they arrive, `ended` once the server closed it. */
export class SseClient {
  readonly frames: Frame[] = [];
  ended = false;
  readonly #abort: AbortController;
  readonly #waiters = new Set<() => void>();
  readonly done: Promise<void>;

  private constructor(
    readonly response: Response,
    abort: AbortController,
  ) {
    this.#abort = abort;
    this.done = this.#read().finally(() => {
      this.ended = true;
      this.#wake();
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const abort = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    return new SseClient(response, abort);
  }

  payloads(): EventPayload[] {
    return this.frames.map((frame) => JSON.parse(frame.data) as EventPayload);
  }

  /** Resolves once `predicate` holds over the frames so far (or the stream ended). */
  async until(predicate: (frames: Frame[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames) && !this.ended) {
      if (Date.now() > deadline) throw new Error(`no matching frame after ${timeoutMs} ms: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.#waiters.add(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  close(): void {
    this.#abort.abort();
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
    this.#waiters.clear();
  }

  async #read(): Promise<void> {
    if (this.response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = this.response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame = parseFrame(block, performance.now());
          if (frame) this.frames.push(frame);
        }
        this.#wake();
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) throw error;
    }
  }
}

/** One SSE block; undefined for comment-only blocks (heartbeats). */
function parseFrame(block: string, receivedAt: number): Frame | undefined {
  const frame: Frame = { id: undefined, event: undefined, data: '', receivedAt };
  let fields = 0;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    fields += 1;
    if (name === 'id') frame.id = value;
    else if (name === 'event') frame.event = value;
    else if (name === 'data') frame.data = frame.data === '' ? value : `${frame.data}\n${value}`;
  }
  return fields === 0 ? undefined : frame;
}
