// The one place provider HTTP calls go through: fetch with a per-request timeout, caller cancel,
// a size cap, and every way a call can fail turned into a classified ProviderError.
import { ProviderError } from '@mediagate/core';
import type { z } from 'zod';
import { classifyHttpError, type ClassifyOptions } from './classify.ts';

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

class Call {
  readonly label: string;
  readonly target: string;
  readonly controller = new AbortController();
  timedOut = false;

  constructor(
    url: string | URL,
    readonly options: HttpRequestOptions,
  ) {
    this.label = options.provider ?? 'provider';
    this.target = `${options.method ?? 'GET'} ${redactUrl(url)}`;
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

async function readCapped(call: Call, response: Response, maxBytes: number): Promise<Uint8Array> {
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const lengthHeader = response.headers.get('content-length');
  // A compressed body's Content-Length counts the compressed bytes, not what fetch hands us.
  const expected = lengthHeader !== null && !encoded ? Number(lengthHeader) : undefined;
  const tooLarge = (size: number) =>
    new ProviderError('malformed', `${call.label}: response of ${size}+ bytes exceeds the limit of ${maxBytes} bytes (${call.target})`, {
      status: response.status,
    });
  if (expected !== undefined && expected > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(expected);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(received);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    if (call.timedOut || call.options.signal?.aborted) throw call.failure(error, 'while reading the body');
    const of = expected === undefined ? '' : ` of ${expected}`;
    throw new ProviderError('network', `${call.label}: response truncated: connection closed after ${received}${of} bytes (${call.target})`, {
      status: response.status,
      cause: error,
    });
  }
  if (expected !== undefined && received < expected) {
    throw new ProviderError('network', `${call.label}: response truncated: got ${received} of ${expected} bytes (${call.target})`, {
      status: response.status,
    });
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
}

/** Reads an error body for classification; a body that breaks off still classifies by status. */
async function readErrorText(call: Call, response: Response): Promise<string> {
  try {
    return new TextDecoder().decode(await readCapped(call, response, maxErrorBodyBytes));
  } catch (error) {
    if (call.timedOut || call.options.signal?.aborted) throw call.failure(error, 'while reading the error body');
    return '';
  }
}

/**
 * Sends one request and returns the whole 2xx body; anything else throws a classified
 * ProviderError (HTTP status, network, timeout, canceled, truncated, over maxBytes).
 */
export async function request(url: string | URL, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  const call = new Call(url, options);
  const { signal, timeoutMs, maxBytes, provider, isContentPolicy, json, fetch: fetchImpl, ...init } = options;
  if (signal?.aborted) throw call.failure(signal.reason, 'before sending');
  const headers = new Headers(init.headers);
  if (json !== undefined) {
    headers.set('content-type', 'application/json');
    init.body = JSON.stringify(json);
  }
  // A plain controller rather than AbortSignal.any: the caller's signal outlives thousands of
  // requests, and a listener removed in `finally` tells us exactly which side aborted.
  const onAbort = () => call.controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          call.timedOut = true;
          call.controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
        }, timeoutMs);
  try {
    let response: Response;
    try {
      response = await (fetchImpl ?? fetch)(url, { ...init, headers, signal: call.controller.signal });
    } catch (error) {
      throw call.failure(error, 'while connecting');
    }
    if (response.status < 200 || response.status > 299) {
      const bodyText = await readErrorText(call, response);
      throw classifyHttpError({ status: response.status, headers: response.headers, bodyText }, { provider, isContentPolicy });
    }
    const body = await readCapped(call, response, maxBytes ?? defaultMaxBytes);
    return { status: response.status, headers: response.headers, body };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

export interface JsonRequestOptions<T> extends HttpRequestOptions {
  /** Checks a 2xx body; a mismatch is `malformed`. */
  schema?: z.ZodType<T>;
}

/** A JSON call: 2xx bodies that are not JSON, or don't match `schema`, throw `malformed`. */
export async function requestJson<T = unknown>(url: string | URL, options: JsonRequestOptions<T> = {}): Promise<T> {
  const { schema, ...rest } = options;
  const headers = new Headers(rest.headers);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const response = await request(url, { ...rest, headers });
  const label = rest.provider ?? 'provider';
  const target = `${rest.method ?? 'GET'} ${redactUrl(url)}`;
  const text = new TextDecoder().decode(response.body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const snippet = text.slice(0, 80).replace(/\s+/g, ' ');
    throw new ProviderError('malformed', `${label}: HTTP ${response.status} body is not JSON (${target}): ${JSON.stringify(snippet)}`, {
      status: response.status,
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
  throw new ProviderError('malformed', `${label}: HTTP ${response.status} body is not the documented shape (${target}): ${issues}`, {
    status: response.status,
  });
}

export interface BytesResponse extends HttpResponse {
  /** Content-Type without parameters, when the provider sent one. */
  mime: string | undefined;
}

/** A binary download (media bytes), bounded by maxBytes. */
export async function requestBytes(url: string | URL, options: HttpRequestOptions = {}): Promise<BytesResponse> {
  const response = await request(url, options);
  const contentType = response.headers.get('content-type');
  const mime = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  return { ...response, mime };
}
