// Calls to the Gemini API through the shared HTTP helper, plus what only Google's error bodies say:
// an invalid key arrives as a 400 (ErrorInfo reason API_KEY_INVALID) and the wait after a 429 as
// a RetryInfo detail rather than a Retry-After header.
import { ProviderError } from '@mediagate/core';
import type { z } from 'zod';
import type { CallContext, ProviderKey } from '../contract.ts';
import { requestJson } from '../http/request.ts';
import { parseDuration } from '../http/retry-after.ts';

export const defaultGoogleBaseURL = 'https://generativelanguage.googleapis.com/v1beta';

export interface GoogleHttp {
  /** Base URL up to and including the API version, e.g. https://generativelanguage.googleapis.com/v1beta. */
  base: string;
  requestTimeoutMs: number;
  fetch?: typeof fetch;
}

/** ErrorInfo reasons that mean the key (or its project) cannot be used, whatever the HTTP status. */
const keyReasons = new Set(['API_KEY_INVALID', 'API_KEY_SERVICE_BLOCKED', 'API_KEY_HTTP_REFERRER_BLOCKED', 'CONSUMER_SUSPENDED', 'SERVICE_DISABLED']);

interface ErrorDetails {
  reason?: string;
  status?: string;
  retryDelayMs?: number;
}

/** Reads `error.status` and the google.rpc ErrorInfo / RetryInfo details of an error body. */
export function readErrorDetails(text: string): ErrorDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const error = (parsed as { error?: { status?: unknown; details?: unknown } } | null)?.error;
  const details: ErrorDetails = typeof error?.status === 'string' ? { status: error.status } : {};
  if (!Array.isArray(error?.details)) return details;
  for (const entry of error.details as Record<string, unknown>[]) {
    const type = typeof entry?.['@type'] === 'string' ? entry['@type'] : '';
    if (type.endsWith('google.rpc.ErrorInfo') && typeof entry.reason === 'string') details.reason = entry.reason;
    if (type.endsWith('google.rpc.RetryInfo') && typeof entry.retryDelay === 'string') {
      const ms = parseDuration(entry.retryDelay);
      if (ms !== undefined) details.retryDelayMs = Math.ceil(ms);
    }
  }
  return details;
}

function refine(error: ProviderError, details: ErrorDetails): ProviderError {
  const keep = { status: error.status, providerCode: details.reason ?? error.providerCode, cause: error };
  // FAILED_PRECONDITION: billing not enabled or the key's region is not served; waiting won't help.
  if ((details.reason !== undefined && keyReasons.has(details.reason)) || details.status === 'FAILED_PRECONDITION') {
    return new ProviderError('auth', error.message, keep);
  }
  if (error.errorClass === 'rate_limited' && error.retryAfterMs === undefined && details.retryDelayMs !== undefined) {
    return new ProviderError('rate_limited', error.message, { ...keep, retryAfterMs: details.retryDelayMs });
  }
  return error;
}

export function requireKey(ctx: CallContext): ProviderKey {
  if (!ctx.key) throw new ProviderError('auth', 'google: no API key for this attempt (set MEDIAGATE_KEYS_GOOGLE)');
  return ctx.key;
}

/** The header the Gemini API authenticates with (the key never goes in the query string). */
export function keyHeaders(key: ProviderKey): Record<string, string> {
  return { 'x-goog-api-key': key.secret };
}

export async function googleJson<T>(
  http: GoogleHttp,
  url: string,
  ctx: CallContext,
  options: { method: 'GET' | 'POST'; json?: unknown; schema: z.ZodType<T> },
): Promise<T> {
  const key = requireKey(ctx);
  const fetchImpl = http.fetch ?? fetch;
  let errorText: string | undefined;
  // Keeps a copy of a non-2xx body: the shared classifier sees only message and code.
  const watching: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, init);
    if (!response.ok) errorText = await response.clone().text().catch(() => undefined);
    return response;
  };
  try {
    return await requestJson(url, {
      method: options.method,
      headers: keyHeaders(key),
      ...(options.json === undefined ? {} : { json: options.json }),
      schema: options.schema,
      signal: ctx.signal,
      timeoutMs: http.requestTimeoutMs,
      provider: 'google',
      fetch: watching,
    });
  } catch (error) {
    if (error instanceof ProviderError && errorText !== undefined) throw refine(error, readErrorDetails(errorText));
    throw error;
  }
}
