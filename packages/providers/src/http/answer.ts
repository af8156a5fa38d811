// A provider's answer as the request helper reads it, whichever client fetched it: fetch (the
// URL guard, tests, bodies only fetch takes) or undici's dispatcher (see direct.ts).

/** An answer's status, headers and body. */
export interface Answer {
  readonly status: number;
  /** All headers; the undici client builds them on first use, as most callers never look. */
  readonly headers: Headers;
  /** False when there is no body at all (fetch's null body). */
  readonly hasBody: boolean;
  /** One header as Headers.get answers it. */
  header(name: string): string | null;
  /** Hands each body chunk to `take` until the body ends or `take` answers false. */
  eachChunk(take: (chunk: Uint8Array) => boolean): Promise<void>;
  /** Stops reading the body and frees the connection. */
  discard(): Promise<void>;
}

export class FetchAnswer implements Answer {
  constructor(private readonly response: Response) {}

  get status(): number {
    return this.response.status;
  }

  get headers(): Headers {
    return this.response.headers;
  }

  get hasBody(): boolean {
    return this.response.body !== null;
  }

  header(name: string): string | null {
    return this.response.headers.get(name);
  }

  async eachChunk(take: (chunk: Uint8Array) => boolean): Promise<void> {
    // Node's ReadableStream is async-iterable; the DOM typings do not say so.
    const chunks = this.response.body as unknown as AsyncIterable<Uint8Array> | null;
    if (!chunks) return;
    for await (const chunk of chunks) if (!take(chunk)) return;
  }

  async discard(): Promise<void> {
    await this.response.body?.cancel();
  }
}
