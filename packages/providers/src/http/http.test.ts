// The HTTP helper against a real local server: every classification, Retry-After form,
// truncation, timeout versus cancel, and the size cap.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '@mediagate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifyHttpError, parseRetryAfter, requestBytes, requestJson } from './index.ts';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

let chainRequests = 0;

const routes: Record<string, Handler> = {
  '/ok': (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"op_1","n":2}'),
  '/not-json': (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "op_'),
  '/echo-auth': (request, response) =>
    response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `saw ${request.headers.authorization ? 'a' : 'no'} key` } })),
  '/limited': (_request, response) =>
    response
      .writeHead(429, { 'retry-after': '3', 'content-type': 'application/json' })
      .end('{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'),
  '/policy': (_request, response) =>
    response.writeHead(400).end('{"error":{"code":"content_policy_violation","message":"Your request was rejected"}}'),
  '/reset': (request) => request.socket.destroy(),
  '/truncated': (_request, response) => {
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': '1000' });
    response.write(Buffer.alloc(400, 7), () => response.socket?.destroy());
  },
  '/hang': () => undefined,
  '/slow-body': (_request, response) => {
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': '100' });
    response.write(Buffer.alloc(10));
  },
  '/big-declared': (_request, response) => response.writeHead(200, { 'content-length': '5000' }).end(Buffer.alloc(5000)),
  '/big-chunked': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    for (let index = 0; index < 10; index++) response.write(Buffer.alloc(1000));
    response.end();
  },
  '/bytes': (_request, response) => response.writeHead(200, { 'content-type': 'audio/wav; codecs=1' }).end(Buffer.from('RIFF')),
  '/moved': (_request, response) => response.writeHead(302, { location: '/bytes' }).end(),
  '/echo-headers': (request, response) => response.writeHead(200, { 'content-type': 'application/json', 'x-answer': 'yes' }).end(JSON.stringify(request.headers)),
  '/echo': (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const echoed = { method: request.method, headers: request.headers, body: Buffer.concat(chunks).toString() };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echoed));
    });
  },
  '/see-other': (_request, response) => response.writeHead(303, { location: '/echo' }).end('see /echo'),
  '/found': (_request, response) => response.writeHead(302, { location: '/echo' }).end(),
  '/temporary': (_request, response) => response.writeHead(307, { location: '/echo?from=307' }).end(),
  '/loop': (_request, response) => response.writeHead(302, { location: '/loop' }).end(),
  '/chain': (request, response) => {
    const step = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('step') ?? 0);
    chainRequests++;
    response.writeHead(302, { location: `/chain?step=${step + 1}` }).end();
  },
  '/elsewhere': (request, response) => response.writeHead(302, { location: `${other}/echo` }).end(),
};

let server: Server;
let base: string;
/** The same routes on another port: another origin, for cross-origin redirects. */
let otherServer: Server;
let other: string;

async function listen(): Promise<[Server, string]> {
  const listening = createServer((request, response) => {
    const handler = routes[new URL(request.url ?? '/', 'http://x').pathname];
    if (handler) handler(request, response);
    else response.writeHead(404).end('{"detail":"Not Found"}');
  });
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return [listening, `http://127.0.0.1:${(listening.address() as AddressInfo).port}`];
}

beforeAll(async () => {
  [server, base] = await listen();
  [otherServer, other] = await listen();
});

afterAll(async () => {
  for (const listening of [server, otherServer]) {
    listening.closeAllConnections();
    await new Promise((resolve) => listening.close(resolve));
  }
});

async function caught(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  const parse = (init: Record<string, string>) => parseRetryAfter(new Headers(init), now);

  it('reads every form providers send', () => {
    expect(parse({ 'retry-after-ms': '1500' })).toBe(1500);
    expect(parse({ 'retry-after': '3' })).toBe(3000);
    expect(parse({ 'retry-after': '0.25' })).toBe(250);
    expect(parse({ 'retry-after': 'Sat, 21 Nov 2026 12:00:30 GMT' })).toBe(30_000);
    expect(parse({ 'retry-after': 'Sat, 21 Nov 2026 11:00:00 GMT' })).toBe(0);
    expect(parse({ 'x-ratelimit-reset-requests': '12ms' })).toBe(12);
    expect(parse({ 'x-ratelimit-reset-requests': '1s' })).toBe(1000);
    expect(parse({ 'x-ratelimit-reset-requests': '6m0s' })).toBe(360_000);
    expect(parse({ 'x-ratelimit-reset-requests': '1h2m3.5s' })).toBe(3_723_500);
  });

  it('prefers the exact header and takes the longer reset budget', () => {
    expect(parse({ 'retry-after-ms': '40', 'retry-after': '9' })).toBe(40);
    expect(parse({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '7s' })).toBe(7000);
  });

  it('ignores what it cannot read', () => {
    expect(parse({})).toBeUndefined();
    expect(parse({ 'retry-after': 'soon' })).toBeUndefined();
    expect(parse({ 'x-ratelimit-reset-requests': '5 minutes' })).toBeUndefined();
  });
});

describe('classifyHttpError', () => {
  const classify = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    classifyHttpError(
      { status, headers: new Headers(headers), bodyText: typeof body === 'string' ? body : JSON.stringify(body) },
      { provider: 'acme' },
    );

  it('maps statuses to classes', () => {
    expect(classify(429, '', { 'retry-after-ms': '200' })).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 200, status: 429 });
    expect(classify(401, { error: 'bad key' }).errorClass).toBe('auth');
    expect(classify(403, { message: 'forbidden' }).errorClass).toBe('auth');
    expect(classify(400, { error: { message: 'size must be 1024x1024', param: 'size' } }).errorClass).toBe('invalid_input');
    expect(classify(404, { detail: 'Not Found' }).errorClass).toBe('invalid_input');
    expect(classify(422, { detail: [{ loc: ['body', 'prompt'], msg: 'field required' }] }).errorClass).toBe('invalid_input');
    expect(classify(408, '').errorClass).toBe('timeout');
    expect(classify(504, '<html>gateway</html>').errorClass).toBe('timeout');
    expect(classify(500, '').errorClass).toBe('server');
    expect(classify(503, '', { 'retry-after': '5' })).toMatchObject({ errorClass: 'server', retryAfterMs: 5000 });
    expect(classify(418, '').errorClass).toBe('server');
  });

  it('recognizes content-policy refusals by code, and through a caller predicate', () => {
    expect(classify(400, { error: { code: 'content_policy_violation', message: 'no' } }).errorClass).toBe('content_policy');
    expect(classify(400, { error: { code: 'moderation_blocked', message: 'no', type: 'image_generation_user_error' } }).errorClass).toBe(
      'content_policy',
    );
    expect(classify(403, { id: 'x', name: 'content_moderation', errors: ['flagged'] }).errorClass).toBe('content_policy');
    const custom = classifyHttpError(
      { status: 400, headers: new Headers(), bodyText: '{"message":"SAFETY: blocked"}' },
      { isContentPolicy: (body) => body.message?.startsWith('SAFETY') ?? false },
    );
    expect(custom.errorClass).toBe('content_policy');
  });

  it('treats an exhausted quota as a key problem, not a wait', () => {
    expect(classify(429, { error: { code: 'insufficient_quota', message: 'You exceeded your current quota' } }).errorClass).toBe('auth');
  });

  it("puts the provider's message and code in the error", () => {
    const openai = classify(400, { error: { message: 'Invalid size', type: 'invalid_request_error', code: 'invalid_size' } });
    expect(openai.message).toBe('acme answered HTTP 400: Invalid size (invalid_size)');
    expect(openai.providerCode).toBe('invalid_size');
    const gemini = classify(400, { error: { code: 400, message: 'API key not valid', status: 'INVALID_ARGUMENT' } });
    expect(gemini).toMatchObject({ providerCode: 'INVALID_ARGUMENT', message: expect.stringContaining('API key not valid') });
    expect(classify(422, { detail: [{ loc: ['body', 'prompt'], msg: 'field required' }] }).message).toContain('body.prompt: field required');
    expect(classify(401, { error: 'Unauthorized' }).message).toContain('Unauthorized');
    expect(classify(500, { message: 'boom' }).message).toContain('boom');
    expect(classify(429, { detail: { status: 'concurrent_limit_exceeded', message: 'too many' } }).providerCode).toBe('concurrent_limit_exceeded');
    expect(classify(502, '<!DOCTYPE html><html>…</html>').message).toContain('an HTML page');
  });
});

describe('requestJson / requestBytes', () => {
  it('returns a body that matches the schema', async () => {
    const schema = z.object({ id: z.string(), n: z.number() });
    await expect(requestJson(`${base}/ok`, { schema })).resolves.toEqual({ id: 'op_1', n: 2 });
  });

  it('calls a 2xx body that is not JSON, or not the promised shape, malformed', async () => {
    expect((await caught(requestJson(`${base}/not-json`))).errorClass).toBe('malformed');
    const wrong = await caught(requestJson(`${base}/ok`, { schema: z.object({ id: z.number() }) }));
    expect(wrong).toMatchObject({ errorClass: 'malformed', status: 200 });
    expect(wrong.message).toContain('id:');
  });

  it('classifies error statuses with Retry-After', async () => {
    const limited = await caught(requestJson(`${base}/limited`, { provider: 'acme' }));
    expect(limited).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 3000, status: 429, providerCode: 'rate_limit_exceeded' });
    expect((await caught(requestJson(`${base}/policy`))).errorClass).toBe('content_policy');
    expect((await caught(requestJson(`${base}/missing`))).errorClass).toBe('invalid_input');
  });

  it('never puts the key or the query string in a message', async () => {
    const error = await caught(
      requestJson(`${base}/echo-auth?key=sk-secret-query`, { headers: { authorization: 'Bearer sk-secret-header' } }),
    );
    expect(error.errorClass).toBe('server');
    expect(error.message).toContain('saw a key');
    expect(error.message).not.toContain('sk-secret');
  });

  it('calls refused and reset connections network errors', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await caught(requestJson(`http://127.0.0.1:${port}/ok`));
    expect(refused.errorClass).toBe('network');
    expect(refused.message).toContain('ECONNREFUSED');
    expect((await caught(requestJson(`${base}/reset`))).errorClass).toBe('network');
  });

  it('reports a body shorter than its Content-Length as truncated', async () => {
    const error = await caught(requestBytes(`${base}/truncated`));
    expect(error.errorClass).toBe('network');
    expect(error.message).toContain('truncated');
  });

  it('tells its own timeout from a cancel by the caller', async () => {
    const timedOut = await caught(requestJson(`${base}/hang`, { timeoutMs: 100 }));
    expect(timedOut.errorClass).toBe('timeout');
    expect((await caught(requestBytes(`${base}/slow-body`, { timeoutMs: 100 }))).errorClass).toBe('timeout');

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await caught(requestJson(`${base}/hang`, { signal: controller.signal, timeoutMs: 5000 }))).errorClass).toBe('canceled');

    const attempt = new AbortController();
    setTimeout(() => attempt.abort(new DOMException('attempt timeout', 'TimeoutError')), 50);
    expect((await caught(requestBytes(`${base}/slow-body`, { signal: attempt.signal }))).errorClass).toBe('timeout');

    expect((await caught(requestJson(`${base}/ok`, { signal: AbortSignal.abort() }))).errorClass).toBe('canceled');
  });

  it('refuses bodies over maxBytes, declared or streamed', async () => {
    const declared = await caught(requestBytes(`${base}/big-declared`, { maxBytes: 4096 }));
    expect(declared.message).toContain('exceeds the limit of 4096 bytes');
    const streamed = await caught(requestBytes(`${base}/big-chunked`, { maxBytes: 4096 }));
    expect(streamed.message).toContain('exceeds the limit of 4096 bytes');
    await expect(requestBytes(`${base}/big-chunked`, { maxBytes: 10_000 })).resolves.toMatchObject({ body: expect.any(Uint8Array) });
  });

  it('returns bytes with their mime type', async () => {
    const result = await requestBytes(`${base}/bytes`);
    expect(result.mime).toBe('audio/wav');
    expect(result.headers.get('content-type')).toBe('audio/wav; codecs=1');
    expect(Buffer.from(result.body).toString()).toBe('RIFF');
  });

  it('follows redirects as fetch does', async () => {
    const result = await requestBytes(`${base}/moved`);
    expect(result).toMatchObject({ status: 200, mime: 'audio/wav' });

    const echo = z.object({ method: z.string(), headers: z.record(z.string(), z.string()), body: z.string() });
    const post = { method: 'POST', json: { prompt: 'x' }, headers: { authorization: 'Bearer k' }, schema: echo };
    const seeOther = await requestJson(`${base}/see-other`, post);
    expect(seeOther).toMatchObject({ method: 'GET', body: '', headers: { authorization: 'Bearer k' } });
    expect(seeOther.headers['content-type']).toBeUndefined();
    const found = await requestJson(`${base}/found`, post);
    expect(found).toMatchObject({ method: 'GET', body: '', headers: { 'content-type': 'application/json' } });
    const temporary = await requestJson(`${base}/temporary`, post);
    expect(temporary).toMatchObject({ method: 'POST', body: '{"prompt":"x"}', headers: { authorization: 'Bearer k' } });

    const elsewhere = await requestJson(`${base}/elsewhere`, { headers: { authorization: 'Bearer k', 'x-kept': '1' }, schema: echo });
    expect(elsewhere.headers).toMatchObject({ 'x-kept': '1' });
    expect(elsewhere.headers.authorization).toBeUndefined();
  });

  it('gives up on redirect loops and long chains', async () => {
    const loop = await caught(requestJson(`${base}/loop`));
    expect(loop).toMatchObject({ errorClass: 'network', message: expect.stringContaining('UND_ERR_INVALID_ARG') });
    const chain = await caught(requestJson(`${base}/chain`));
    expect(chain).toMatchObject({ errorClass: 'server', status: 302 });
    expect(chainRequests).toBe(6);
  });

  it('sends headers as Headers would normalize them, whatever form they come in', async () => {
    const schema = z.record(z.string(), z.string());
    const plain = await requestJson(`${base}/echo-headers`, { schema, headers: { 'X-Key': 'Bearer k' }, method: 'POST', json: { a: 1 } });
    expect(plain).toMatchObject({ 'x-key': 'Bearer k', accept: 'application/json', 'content-type': 'application/json', 'accept-encoding': 'identity' });
    const padded = await requestJson(`${base}/echo-headers`, { schema, headers: { 'x-key': ' Bearer k\n', Accept: 'text/plain' } });
    expect(padded).toMatchObject({ 'x-key': 'Bearer k', accept: 'text/plain' });
    const pairs = await requestJson(`${base}/echo-headers`, { schema, headers: [['x-key', 'a'], ['X-Key', 'b']] });
    expect(pairs['x-key']).toBe('a, b');
    const response = await requestBytes(`${base}/echo-headers`, { headers: new Headers({ 'x-key': 'c' }) });
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(JSON.parse(Buffer.from(response.body).toString())).toMatchObject({ 'x-key': 'c' });
  });
});
