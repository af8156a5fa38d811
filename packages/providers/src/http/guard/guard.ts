// The SSRF guard every URL Mediagate fetches passes: a fetch that follows redirects itself,
// checks each hop, connects only to checked addresses and caps bytes and time.
import { fetch as undiciFetch, type Response as UndiciResponse } from 'undici';
import { defaultMaxBytes, redactUrl } from '../request.ts';
import { createGuardedAgent } from './connector.ts';
import { BlockedUrlError, FetchLimitError, isGuardError, type GuardError } from './errors.ts';
import { GuardPolicy, type GuardPolicyOptions } from './policy.ts';

export { checkUrl, systemResolver, type GuardPolicyOptions, type Resolver } from './policy.ts';
export * from './errors.ts';

export interface GuardedFetchOptions extends GuardPolicyOptions {
  /** Largest body handed over, counted after decompression (default 256 MiB). */
  maxBytes?: number;
  /** The whole exchange — every hop and the last body byte (default 120 s). */
  timeoutMs?: number;
  /** Redirects followed before giving up (default 5). */
  maxRedirects?: number;
  /** Per-address connect limit (default 10 s). */
  connectTimeoutMs?: number;
  /** Turns refusals and broken limits into the caller's error type (asProviderError, asInputError). */
  toError?: (error: GuardError) => Error;
}

/** Assignable to `typeof fetch`, so it drops into `request(url, { fetch })` and friends. */
export interface GuardedFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

type Body = string | Uint8Array | null;
interface Outgoing {
  method: string;
  headers: Headers;
  body: Body;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);
const bodyHeaders = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
const credentialHeaders = ['authorization', 'proxy-authorization', 'cookie'];

/** Only bodies that can be sent again on a 307/308; media downloads send none. */
function replayableBody(body: RequestInit['body'], headers: Headers): Body {
  if (body === undefined || body === null || typeof body === 'string') return body ?? null;
  if (body instanceof URLSearchParams) {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return body.toString();
  }
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('guarded fetch sends only string, URLSearchParams or byte bodies');
}

function headerPairs(headers: Headers): [string, string][] {
  const pairs: [string, string][] = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
}

/** One call: a controller fed by the caller's signal and the deadline, released at the last byte. */
class Exchange {
  readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = () => this.controller.abort(this.callerSignal?.reason);
  shown = '';

  constructor(
    private readonly options: GuardedFetchOptions,
    private readonly callerSignal: AbortSignal | null | undefined,
  ) {
    const timeoutMs = options.timeoutMs ?? 120_000;
    if (callerSignal?.aborted) this.controller.abort(callerSignal.reason);
    else callerSignal?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(() => {
      this.controller.abort(this.mapped(new FetchLimitError('time', `no complete answer from ${this.shown} within ${timeoutMs} ms`, this.shown)));
    }, timeoutMs);
    // An abandoned Response must not hold the process open; the socket does while it lives.
    this.timer.unref();
  }

  end(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener('abort', this.onAbort);
  }

  mapped(error: GuardError): Error {
    return this.options.toError ? this.options.toError(error) : error;
  }

  /** What a failure is thrown as: the abort reason if aborted, a guard error unwrapped, else as is. */
  failure(error: unknown): unknown {
    this.end();
    if (this.controller.signal.aborted) return this.controller.signal.reason;
    for (let cause = error, depth = 0; depth < 4 && cause instanceof Error; depth++, cause = cause.cause) {
      if (isGuardError(cause)) return this.mapped(cause);
    }
    return error;
  }

  /** A global Response whose body stops at maxBytes and releases the deadline when done. */
  deliver(response: UndiciResponse, url: URL, redirected: boolean): Response {
    const maxBytes = this.options.maxBytes ?? defaultMaxBytes;
    const tooLarge = (size: string) =>
      this.mapped(new FetchLimitError('size', `${this.shown} answered ${size} bytes, over the ${maxBytes}-byte limit`, this.shown));
    // A compressed body's Content-Length counts compressed bytes, not what is handed over.
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    const declared = encoded ? NaN : Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      void response.body?.cancel().catch(() => undefined);
      throw tooLarge(String(declared));
    }
    let body: ReadableStream<Uint8Array> | null = null;
    if (response.body === null || nullBodyStatuses.has(response.status)) {
      void response.body?.cancel().catch(() => undefined);
      this.end();
    } else {
      const reader = response.body.getReader();
      let received = 0;
      body = new ReadableStream<Uint8Array>(
        {
          pull: async (stream) => {
            let chunk: ReadableStreamReadResult<Uint8Array>;
            try {
              chunk = await reader.read();
            } catch (error) {
              stream.error(this.failure(error));
              return;
            }
            if (chunk.done) {
              this.end();
              stream.close();
              return;
            }
            received += chunk.value.byteLength;
            if (received <= maxBytes) return stream.enqueue(chunk.value);
            const error = tooLarge(`${received}+`);
            this.end();
            stream.error(error);
            await reader.cancel(error).catch(() => undefined);
          },
          cancel: async (reason) => {
            this.end();
            await reader.cancel(reason).catch(() => undefined);
          },
        },
        { highWaterMark: 0 },
      );
    }
    const delivered = new Response(body, { status: response.status, statusText: response.statusText, headers: [...response.headers] });
    Object.defineProperties(delivered, { url: { value: url.href }, redirected: { value: redirected } });
    return delivered;
  }
}

/**
 * A fetch for URLs Mediagate did not choose. Refusals throw BlockedUrlError (nothing is sent to
 * a refused address), a body over maxBytes or a late answer FetchLimitError — or whatever
 * `toError` makes of them: `asInputError(field)` for a caller's URL, `asProviderError(name)` for
 * one a provider returned. Other failures (DNS, reset) surface as plain fetch's would.
 * Content is not sniffed here: the bytes stream through, and `verifyMedia` decides what they are.
 */
export function createGuardedFetch(options: GuardedFetchOptions = {}): GuardedFetch {
  const policy = new GuardPolicy(options);
  const agent = createGuardedAgent(policy, options);
  const maxRedirects = options.maxRedirects ?? 5;

  const guardedFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const headers = new Headers(init.headers ?? request?.headers);
    const exchange = new Exchange(options, init.signal ?? request?.signal);
    const redirectMode = init.redirect ?? request?.redirect ?? 'follow';
    try {
      const requestBody = init.body !== undefined || !request?.body ? init.body : new Uint8Array(await request.arrayBuffer());
      const outgoing: Outgoing = { method: (init.method ?? request?.method ?? 'GET').toUpperCase(), headers, body: replayableBody(requestBody, headers) };
      let url = policy.checkStatic(request?.url ?? input.toString());
      for (let hop = 0; ; hop++) {
        exchange.shown = redactUrl(url);
        const response = await undiciFetch(url, {
          method: outgoing.method,
          headers: headerPairs(outgoing.headers),
          body: outgoing.body,
          redirect: 'manual',
          dispatcher: agent,
          signal: exchange.controller.signal,
        });
        const location = response.headers.get('location');
        if (!redirectStatuses.has(response.status) || location === null || redirectMode === 'manual') {
          return exchange.deliver(response, url, hop > 0);
        }
        await response.body?.cancel().catch(() => undefined);
        if (redirectMode === 'error' || hop >= maxRedirects) {
          const why = redirectMode === 'error' ? 'redirects are not followed here' : `more than ${maxRedirects} redirects`;
          throw new BlockedUrlError('redirects', `refusing ${exchange.shown}: ${why}`, exchange.shown);
        }
        url = nextHop(policy, url, location, response.status, outgoing);
      }
    } catch (error) {
      throw exchange.failure(error);
    }
  };

  return Object.assign(guardedFetch, { close: () => agent.close() });
}

/** Checks a redirect target like the first URL and rewrites the request as fetch would. */
function nextHop(policy: GuardPolicy, from: URL, location: string, status: number, outgoing: Outgoing): URL {
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new BlockedUrlError('invalid_url', `refusing a redirect from ${redactUrl(from)} to an invalid Location`, redactUrl(from));
  }
  const next = policy.checkStatic(target);
  if ((status === 303 && outgoing.method !== 'GET' && outgoing.method !== 'HEAD') || ((status === 301 || status === 302) && outgoing.method === 'POST')) {
    outgoing.method = 'GET';
    outgoing.body = null;
    for (const name of bodyHeaders) outgoing.headers.delete(name);
  }
  // Credentials meant for one origin must not follow a redirect to another.
  if (next.origin !== from.origin) for (const name of credentialHeaders) outgoing.headers.delete(name);
  return next;
}
