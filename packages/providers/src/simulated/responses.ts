// How the simulated server answers: JSON bodies, media bytes, rate-limit headers, and each
// injected fault written the way a misbehaving real provider would write it.
import type { ServerResponse } from 'node:http';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export function sendError(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: { code, message } }, headers);
}

export function sendBytes(response: ServerResponse, data: Uint8Array, mime: string, headers: Record<string, string> = {}): void {
  response.writeHead(200, { ...headers, 'content-type': mime, 'content-length': data.byteLength });
  response.end(data);
}

/** Retry-After in whole seconds (rounded up, as the header allows no fractions) plus the exact ms. */
export function retryHeaders(retryAfterMs: number, remaining: number): Record<string, string> {
  return {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    'retry-after-ms': String(Math.ceil(retryAfterMs)),
    'x-ratelimit-remaining-requests': String(remaining),
  };
}

/** Declares the full length, sends half, then drops the connection. */
export function sendTruncated(response: ServerResponse, data: Uint8Array, mime: string, status = 200): void {
  response.writeHead(status, { 'content-type': mime, 'content-length': data.byteLength });
  response.write(data.subarray(0, Math.floor(data.byteLength / 2)), () => response.socket?.destroy());
}

const garbage = Buffer.from('this is not the media the API promised\n'.repeat(8));

export const faultNames = [
  '500',
  'timeout',
  'malformed',
  'truncated',
  'content_policy',
  'auth',
  'rate_limit',
  'fail_async',
  'content_policy_async',
] as const;
export type FaultName = (typeof faultNames)[number];

export function isFaultName(value: string): value is FaultName {
  return (faultNames as readonly string[]).includes(value);
}

/** Faults answered on the submit itself (the async-only ones are turned into failed operations). */
export function sendSubmitFault(
  response: ServerResponse,
  fault: Exclude<FaultName, 'fail_async' | 'content_policy_async' | 'timeout'>,
  options: { async: boolean; mime: string; media: () => Uint8Array; rateLimitMs: number },
): void {
  switch (fault) {
    case '500':
      return sendError(response, 500, 'internal_error', 'The simulated server had an error while processing your request');
    case 'content_policy':
      return sendError(response, 400, 'content_policy_violation', 'The prompt was rejected by the simulated safety system');
    case 'auth':
      return sendError(response, 401, 'invalid_api_key', 'Incorrect API key provided');
    case 'rate_limit':
      return sendError(response, 429, 'rate_limit_exceeded', 'Rate limit reached for requests', retryHeaders(options.rateLimitMs, 0));
    case 'malformed':
      if (options.async) {
        response.writeHead(202, { 'content-type': 'application/json' });
        response.end('{"id": "op_');
        return;
      }
      return sendBytes(response, garbage, options.mime);
    case 'truncated':
      if (options.async) return sendTruncated(response, Buffer.from('{"id":"op_truncated","status":"queued"}'), 'application/json', 202);
      return sendTruncated(response, options.media(), options.mime);
  }
}
