// The guarded fetch's limits and error mapping against a local server: size caps declared,
// streamed and decompressed, the deadline across headers and body, cancel, and drop-in use.
import { ProviderError } from '@mediagate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestBytes } from '../request.ts';
import { asProviderError, createGuardedFetch, FetchLimitError, type GuardedFetch, type GuardedFetchOptions } from './guard.ts';
import { startTestServer, type TestServer } from './test-server.ts';

let server: TestServer;
const opened: GuardedFetch[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((guarded) => guarded.close()));
});

function guarded(options: GuardedFetchOptions = {}): GuardedFetch {
  const created = createGuardedFetch({ allow: ['127.0.0.1'], ...options });
  opened.push(created);
  return created;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (reason: unknown) => reason,
  );
}

describe('size cap', () => {
  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const error = await rejection(guarded({ maxBytes: 1000 })(`${server.base}/big-declared`));
    expect(error).toBeInstanceOf(FetchLimitError);
    expect(error).toMatchObject({ limit: 'size', message: expect.stringContaining('5000 bytes, over the 1000-byte limit') });
  });

  it('stops a streamed body at the cap', async () => {
    const response = await guarded({ maxBytes: 4000 })(`${server.base}/big-chunked`);
    expect(response.status).toBe(200);
    expect(await rejection(response.arrayBuffer())).toMatchObject({ limit: 'size' });
  });

  it('counts decompressed bytes, so a small gzip body cannot unpack past the cap', async () => {
    const response = await guarded({ maxBytes: 10_000 })(`${server.base}/gzip-bomb`);
    expect(await rejection(response.arrayBuffer())).toMatchObject({ limit: 'size' });
  });

  it('hands over bodies within the cap whole', async () => {
    const response = await guarded({ maxBytes: 10_000 })(`${server.base}/big-chunked`);
    expect((await response.arrayBuffer()).byteLength).toBe(10_000);
  });
});

describe('deadline and cancel', () => {
  it('gives up on a server that never answers', async () => {
    const started = Date.now();
    const error = await rejection(guarded({ timeoutMs: 200 })(`${server.base}/hang`));
    expect(error).toMatchObject({ name: 'FetchLimitError', limit: 'time' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('covers the body too, not just the headers', async () => {
    const response = await guarded({ timeoutMs: 300 })(`${server.base}/slow-body`);
    expect(await rejection(response.arrayBuffer())).toMatchObject({ limit: 'time' });
  });

  it("rejects with the caller's abort reason, as fetch does", async () => {
    const controller = new AbortController();
    const pending = guarded()(`${server.base}/hang`, { signal: controller.signal });
    const reason = new Error('job canceled');
    setTimeout(() => controller.abort(reason), 50);
    expect(await rejection(pending)).toBe(reason);
    const aborted = AbortSignal.abort(reason);
    expect(await rejection(guarded()(`${server.base}/ok`, { signal: aborted }))).toBe(reason);
  });
});

describe('drop-in use', () => {
  it('throws ProviderErrors when given asProviderError', async () => {
    const fetchGuarded = guarded({ allow: ['127.0.0.1'], maxBytes: 1000, toError: asProviderError('acme') });
    const blocked = await rejection(fetchGuarded(`${server.base}/redirect?to=${encodeURIComponent('http://169.254.169.254/')}`));
    expect(blocked).toBeInstanceOf(ProviderError);
    expect(blocked).toMatchObject({ errorClass: 'malformed', message: expect.stringContaining('cloud metadata') });
    const streamed = await fetchGuarded(`${server.base}/big-chunked`);
    expect(await rejection(streamed.arrayBuffer())).toMatchObject({ errorClass: 'output_invalid' });
  });

  it("is request()'s fetch: refusals arrive as the classified ProviderError", async () => {
    const fetchGuarded = guarded({ toError: asProviderError('acme') });
    const bytes = await requestBytes(`${server.base}/ok`, { fetch: fetchGuarded, provider: 'acme' });
    expect(new TextDecoder().decode(bytes.body)).toBe('hello');
    const error = await rejection(requestBytes(`${server.base}/redirect?to=${encodeURIComponent('http://10.0.0.1/')}`, { fetch: fetchGuarded }));
    expect(error).toMatchObject({ errorClass: 'malformed', message: expect.stringContaining('10.0.0.1 is private') });
  });

  it('accepts a Request as input', async () => {
    const response = await guarded()(new Request(`${server.base}/echo`, { method: 'POST', body: 'ping', headers: { 'x-custom': 'yes' } }));
    expect(await response.json()).toMatchObject({ method: 'POST', body: 'ping', custom: 'yes' });
  });
});
