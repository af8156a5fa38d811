// The one place provider HTTP calls go through: fetch with a per-request timeout, caller cancel,
// a size cap, and every way a call can fail turned into a classified ProviderError.
import { ProviderError } from '@mediagate/core';
import type { z } from 'zod';
import { FetchAnswer, type Answer } from './answer.ts';
import { classifyHttpError, type ClassifyOptions } from './classify.ts';
import { sendDirect, type Exchange, type Exchanging } from './direct.ts';

export interface HttpRequestOptions extends Omit<RequestInit, 'signal' | 'body'> {
  body?: RequestInit['body'];
  /** Serialized as the JSON request body (sets Content-Type). */
  json?: unknown;
  /** The caller's signal, usually ctx.signal: aborts on cancel and on the attempt timeout. */
  signal?: AbortSignal;
  /** Upper bound for this request, headers through the last body byte. */
  timeoutMs?: number;
  /** Refuse bodies larger than this many bytes (Content-Length is checked before reading). */
  maxBytes?: number;
  /** Names the provider in error messages. */
  provider?: string;
  isContentPolicy?: ClassifyOptions['isContentPolicy'];
  fetch?: typeof fetch;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export const defaultMaxBytes = 256 * 1024 * 1024;
const maxErrorBodyBytes = 64 * 1024;

/** Origin and path only: query strings carry keys for some providers (Gemini's `?key=`). */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether an abort reason means "out of time" (the engine aborts ctx.signal on its attempt timeout too). */
function isTimeoutReason(reason: unknown): boolean {
  if (reason instanceof ProviderError) return reason.errorClass === 'timeout';
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/**
 * One request in flight, and the listener on the caller's signal (an object with handleEvent, so
 * no closure per call). It aborts the exchange under way; only fetch needs a real AbortSignal,
 * made on demand.
 */
class Call implements Exchanging {
  readonly label: string;
  timedOut = false;
  aborted = false;
  reason: unknown = undefined;
  current: Exchange | undefined = undefined;
  #controller: AbortController | undefined;

  constructor(
    readonly url: string | URL,
    readonly options: HttpRequestOptions,
  ) {
    this.label = options.provider ?? 'provider';
  }

  /** "METHOD origin/path" for messages; built only when a message needs it. */
  get target(): string {
    return describeTarget(this.url, this.options);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.current?.abort(reason);
  }

  /** An AbortSignal that follows this call, for fetch. */
  signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.abort(this.options.signal?.reason);
  }

  /** Classifies anything thrown while connecting or reading, by what aborted it if anything did. */
  failure(error: unknown, phase: string): ProviderError {
    const callerSignal = this.options.signal;
    if (this.timedOut) {
      return new ProviderError('timeout', `${this.label}: no complete answer within ${this.options.timeoutMs} ms (${this.target})`, {
        cause: error,
      });
    }
    if (callerSignal?.aborted) {
      const reason: unknown = callerSignal.reason;
      if (isTimeoutReason(reason)) {
        return new ProviderError('timeout', `${this.label}: attempt timed out ${phase} (${this.target})`, { cause: reason });
      }
      return new ProviderError('canceled', `${this.label}: request canceled ${phase} (${this.target})`, { cause: reason });
    }
    if (error instanceof ProviderError) return error;
    const code = causeCode(error) ?? (error instanceof Error ? error.message : String(error));
    return new ProviderError('network', `${this.label}: network error ${phase} (${this.target}): ${code}`, { cause: error });
  }
}

/** A request as messages name it: "METHOD origin/path", credentials and query left out. */
function describeTarget(url: string | URL, options: Pick<HttpRequestOptions, 'method'>): string {
  return `${options.method ?? 'GET'} ${redactUrl(url)}`;
}

/** The per-request timeout; a named function and the call as its argument, so no closure per call. */
function expire(call: Call): void {
  call.timedOut = true;
  call.abort(new DOMException(`no answer within ${call.options.timeoutMs} ms`, 'TimeoutError'));
}

async function readCapped(call: Call, response: Answer, maxBytes: number): Promise<Uint8Array> {
  const encoded = (response.header('content-encoding') ?? 'identity') !== 'identity';
  const lengthHeader = response.header('content-length');
  // A compressed body's Content-Length counts the compressed bytes, not what fetch hands us.
  const expected = lengthHeader !== null && !encoded ? Number(lengthHeader) : undefined;
  const tooLarge = (size: number) =>
    new ProviderError('malformed', `${call.label}: response of ${size}+ bytes exceeds the limit of ${maxBytes} bytes (${call.target})`, {
      status: response.status,
    });
  if (expected !== undefined && expected > maxBytes) {
    await response.discard().catch(() => undefined);
    throw tooLarge(expected);
  }
  if (!response.hasBody) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    await response.eachChunk((value) => {
      received += value.byteLength;
      if (received > maxBytes) return false;
      chunks.push(value);
      return true;
    });
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (call.timedOut || call.options.signal?.aborted) throw call.failure(error, 'while reading the body');
    const of = expected === undefined ? '' : ` of ${expected}`;
    throw new ProviderError('network', `${call.label}: response truncated: connection closed after ${received}${of} bytes (${call.target})`, {
      status: response.status,
      cause: error,
    });
  }
  if (received > maxBytes) {
    await response.discard().catch(() => undefined);
    throw tooLarge(received);
  }
  if (expected !== undefined && received < expected) {
    throw new ProviderError('network', `${call.label}: response truncated: got ${received} of ${expected} bytes (${call.target})`, {
      status: response.status,
    });
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
}

/** Reads an error body for classification; a body that breaks off still classifies by status. */
async function readErrorText(call: Call, response: Answer): Promise<string> {
  try {
    return new TextDecoder().decode(await readCapped(call, response, maxErrorBodyBytes));
  } catch (error) {
    if (call.timedOut || call.options.signal?.aborted) throw call.failure(error, 'while reading the error body');
    return '';
  }
}

const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A value Headers would keep as it is: no surrounding whitespace, nothing undici refuses. */
const plainHeaderValue = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/**
 * The request headers as one record with lower-case names, as Headers would normalize them. A
 * plain record of well-formed headers (what adapters pass) is copied as it is; anything else goes
 * through Headers, which trims, joins duplicates and refuses what is invalid exactly as before.
 */
function headerRecord(init: HeadersInit | undefined): Record<string, string> {
  const record: Record<string, string> = Object.create(null) as Record<string, string>;
  if (init === undefined || init === null) return record;
  if (typeof (init as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    let plain = true;
    for (const name of Object.keys(init)) {
      const value: unknown = (init as Record<string, unknown>)[name];
      const lower = name.toLowerCase();
      if (typeof value !== 'string' || !headerName.test(name) || !plainHeaderValue.test(value) || lower in record) {
        plain = false;
        break;
      }
      record[lower] = value;
    }
    if (plain) return record;
  }
  const normalized: Record<string, string> = Object.create(null) as Record<string, string>;
  new Headers(init).forEach((value, name) => {
    normalized[name] = value;
  });
  return normalized;
}

/**
 * Sends one request and returns the whole 2xx body; anything else throws a classified
 * ProviderError (HTTP status, network, timeout, canceled, truncated, over maxBytes).
 */
export async function request(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const { answer, body } = await perform(url, options);
  return response(answer, body);
}

/** What `request` answers; the headers are built from the answer only when read. */
function response(answer: Answer, body: Uint8Array): HttpResponse {
  return {
    status: answer.status,
    body,
    get headers() {
      return answer.headers;
    },
  };
}

/** `request` returning the answer itself, so callers read only the headers they need. */
async function perform(url: string | URL, options: HttpRequestOptions, prepared?: Record<string, string>): Promise<{ answer: Answer; body: Uint8Array }> {
  const call = new Call(url, options);
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw call.failure(signal.reason, 'before sending');
  const headers = prepared ?? headerRecord(options.headers);
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  // Our own listener rather than AbortSignal.any: the caller's signal may outlive many requests,
  // and a listener removed in `finally` tells us exactly which side aborted.
  signal?.addEventListener('abort', call);
  const timer = timeoutMs === undefined ? undefined : setTimeout(expire, timeoutMs, call);
  try {
    let response: Answer;
    try {
      response = await send(call, headers, body);
    } catch (error) {
      throw call.failure(error, 'while connecting');
    }
    if (response.status < 200 || response.status > 299) {
      const bodyText = await readErrorText(call, response);
      throw classifyHttpError({ status: response.status, headers: response.headers, bodyText }, { provider: options.provider, isContentPolicy: options.isContentPolicy });
    }
    return { answer: response, body: await readCapped(call, response, options.maxBytes ?? defaultMaxBytes) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', call);
  }
}

/**
 * Sends through undici's dispatcher (direct.ts), or through fetch when the caller gave one (the
 * URL guard, tests) or the body is of a kind only fetch takes. The dispatcher skips fetch's Web
 * streams, request cloning and default headers: ~0.5 ms less per call at one request at a time.
 */
async function send(call: Call, headers: Record<string, string>, body: RequestInit['body']): Promise<Answer> {
  const plain = plainBody(body);
  const fetchImpl = call.options.fetch;
  if (fetchImpl === undefined && plain !== false) return sendDirect(call, call.url, call.options.method ?? 'GET', headers, plain);
  const { signal: _signal, timeoutMs: _timeoutMs, maxBytes: _maxBytes, provider: _provider, isContentPolicy: _policy, json: _json, fetch: _fetch, ...init } = call.options;
  const response = await (fetchImpl ?? fetch)(call.url, { ...init, body, headers: new Headers(headers), signal: call.signal() });
  return new FetchAnswer(response);
}

/**
 * A body undici's dispatcher takes as it is, or false for one only fetch takes: multipart forms
 * (the global FormData belongs to Node's own copy of undici, not this one), Blobs, streams.
 */
function plainBody(body: RequestInit['body']): string | Uint8Array | null | false {
  if (body === undefined || body === null) return null;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return false;
}

export interface JsonRequestOptions<T> extends HttpRequestOptions {
  /** Checks a 2xx body; a mismatch is `malformed`. */
  schema?: z.ZodType<T>;
}

/** A JSON call: 2xx bodies that are not JSON, or don't match `schema`, throw `malformed`. */
export async function requestJson<T = unknown>(url: string | URL, options: JsonRequestOptions<T> = {}): Promise<T> {
  const { schema, ...rest } = options;
  const headers = headerRecord(rest.headers);
  if (!('accept' in headers)) headers.accept = 'application/json';
  const { answer, body } = await perform(url, rest, headers);
  const label = rest.provider ?? 'provider';
  const text = new TextDecoder().decode(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const snippet = text.slice(0, 80).replace(/\s+/g, ' ');
    throw new ProviderError('malformed', `${label}: HTTP ${answer.status} body is not JSON (${describeTarget(url, rest)}): ${JSON.stringify(snippet)}`, {
      status: answer.status,
      cause: error,
    });
  }
  if (!schema) return parsed as T;
  const result = schema.safeParse(parsed);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new ProviderError('malformed', `${label}: HTTP ${answer.status} body is not the documented shape (${describeTarget(url, rest)}): ${issues}`, {
    status: answer.status,
  });
}

export interface BytesResponse extends HttpResponse {
  /** Content-Type without parameters, when the provider sent one. */
  mime: string | undefined;
}

/** A binary download (media bytes), bounded by maxBytes. */
export async function requestBytes(url: string | URL, options: HttpRequestOptions = {}): Promise<BytesResponse> {
  const { answer, body } = await perform(url, options);
  const contentType = answer.header('content-type');
  const mime = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  return Object.assign(response(answer, body), { mime });
}
