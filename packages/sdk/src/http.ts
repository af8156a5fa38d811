// The SDK's one door to the server: builds URLs and headers, applies the request timeout and
// turns every failure into MediagateError (the server said no) or MediagateConnectionError.
import { MediagateConnectionError, MediagateError, errorFromResponse } from './errors.ts';

export interface ClientOptions {
  /** The server's root, e.g. `http://127.0.0.1:7878` (a trailing `/v1` is accepted too). */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** A fetch to use instead of the global one (tests, proxies, instrumentation). */
  fetch?: typeof globalThis.fetch;
  /** How long a request may wait for its answer, ms (for streams: for the headers). Default 60 s. */
  timeoutMs?: number;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Query;
  /** Sent as JSON unless it is already bytes. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
}

const defaultTimeoutMs = 60_000;

function isBytes(body: unknown): body is Uint8Array | ArrayBuffer | Blob {
  return body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof Blob;
}

export class HttpClient {
  readonly baseURL: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(options: ClientOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(`${this.baseURL}${path}`);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  /** A request whose JSON answer is returned once read in full. */
  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.#send(path, options, async (response) => (await response.json()) as T);
  }

  /** A request answered with no body (204), such as a delete. */
  async empty(path: string, options: RequestOptions = {}): Promise<void> {
    return this.#send(path, options, async (response) => {
      await response.body?.cancel();
    });
  }

  /** A JSON request that also hands back the status, for routes where 200 and 201 differ. */
  async jsonWithStatus<T>(path: string, options: RequestOptions = {}): Promise<{ status: number; body: T }> {
    return this.#send(path, options, async (response) => ({ status: response.status, body: (await response.json()) as T }));
  }

  /**
   * A request whose answer is handed back as soon as its headers arrive (a 2xx only), for
   * streams and downloads: the timeout stops counting then, the caller's signal does not.
   */
  async open(path: string, options: RequestOptions = {}): Promise<Response> {
    return this.#send(path, options, async (response) => response, { untilHeaders: true });
  }

  async #send<T>(path: string, options: RequestOptions, read: (response: Response) => Promise<T>, mode = { untilHeaders: false }): Promise<T> {
    options.signal?.throwIfAborted();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    let body: BodyInit | undefined;
    if (isBytes(options.body)) {
      // fetch sends any Uint8Array; the DOM types only admit ArrayBuffer-backed ones (not Buffer).
      body = options.body as Uint8Array<ArrayBuffer> | ArrayBuffer | Blob;
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const url = this.url(path, options.query);
    const method = options.method ?? 'GET';
    try {
      const response = await this.#fetch(url, { method, headers, signal, ...(body === undefined ? {} : { body }) });
      if (mode.untilHeaders) clearTimeout(timer);
      if (!response.ok) throw await errorFromResponse(response);
      return await read(response);
    } catch (error) {
      clearTimeout(timer);
      // The caller's own abort is theirs to handle: it passes through as the AbortError it is.
      options.signal?.throwIfAborted();
      if (timeout.signal.aborted) {
        throw new MediagateConnectionError(`${method} ${url}: no answer within ${this.#timeoutMs} ms`, { cause: error, timedOut: true });
      }
      if (error instanceof MediagateError) throw error;
      throw new MediagateConnectionError(`${method} ${url}: ${describeCause(error)}`, { cause: error });
    } finally {
      if (!mode.untilHeaders) clearTimeout(timer);
    }
  }
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, …) is in its cause. */
function describeCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return `${cause.message}${'code' in cause ? ` (${String(cause.code)})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
