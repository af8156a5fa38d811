// The simulated server's keys and limits, checked through the adapter and on the wire: what a
// key pool and limiter test will rely on to prove it never exceeded a provider's limits.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderAdapter } from '../contract.ts';
import { createSimulatedProvider, startSimulatedServer, type SimulatedServer } from './index.ts';
import { context, providerError, simulatedRequest as request, sleep } from './test-helpers.ts';

let server: SimulatedServer;
let provider: ProviderAdapter;
const minuteMs = 2000; // generous: a loaded CI machine must not slip past a window mid-test

beforeAll(async () => {
  server = await startSimulatedServer({
    minuteMs,
    keys: { 'sk-rpm': { rpm: 3 }, 'sk-conc': { concurrency: 2 }, 'sk-daily': { daily: 2 }, 'sk-free': {} },
  });
  provider = createSimulatedProvider({ baseURL: server.url });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function post(secret: string, body: object): Promise<Response> {
  return fetch(`${server.url}/v1/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('simulated server: keys and limits', () => {
  it('answers 401 to an unknown or missing key', async () => {
    expect((await providerError(provider.submit(request('image', 'x'), context('sk-wrong')))).errorClass).toBe('auth');
    expect((await providerError(provider.submit(request('image', 'x'), context(undefined)))).errorClass).toBe('auth');
    expect(server.stats()).toMatchObject({ submits: 2, accepted: 0, unauthorized: 2 });
  });

  it('enforces rpm with 429, Retry-After and remaining-requests headers, and counts it', async () => {
    const ctx = context('sk-rpm');
    for (let index = 0; index < 3; index++) expect((await provider.submit(request('image', `r${index}`), ctx)).status).toBe('completed');
    const limited = await post('sk-rpm', { model: 'image', prompt: 'r3' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    const waitMs = Number(limited.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(minuteMs);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const error = await providerError(provider.submit(request('image', 'r4'), ctx));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeLessThanOrEqual(minuteMs);

    const key = server.stats().byKey['sk-rpm'];
    expect(key).toMatchObject({ submits: 5, accepted: 3, rateLimited: 2, maxSubmitsPerWindow: 5 });
    expect(server.stats().rateLimited).toBe(2);

    await sleep((error.retryAfterMs ?? minuteMs) + 20);
    expect((await provider.submit(request('image', 'r5'), ctx)).status).toBe('completed');
  });

  it('polls do not count against rpm', async () => {
    const ctx = context('sk-rpm');
    const submitted = await provider.submit(request('image-async', 'p', { simulate: { latency_ms: 50 } }), ctx);
    const operation = submitted.status === 'pending' ? submitted.operation : null;
    for (let index = 0; index < 6; index++) await provider.poll!(operation, ctx);
    expect(server.stats()).toMatchObject({ polls: 6, rateLimited: 0, byKey: { 'sk-rpm': { submits: 1 } } });
  });

  it('enforces concurrency over sync requests and unfinished operations', async () => {
    const ctx = context('sk-conc');
    const slow = (prompt: string) => provider.submit(request('image', prompt, { simulate: { latency_ms: 1000 } }), ctx);
    const results = await Promise.allSettled([slow('a'), slow('b'), slow('c'), slow('d')]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2);
    expect(server.stats().byKey['sk-conc']).toMatchObject({ accepted: 2, rateLimited: 2, maxConcurrency: 2, inFlight: 0 });

    const pending = (prompt: string) => provider.submit(request('video', prompt, { simulate: { latency_ms: 1500 } }), ctx);
    await pending('v1');
    await pending('v2');
    expect((await providerError(pending('v3'))).errorClass).toBe('rate_limited');
    await sleep(1550); // both operations end without being polled: their slots free on their own
    expect((await pending('v4')).status).toBe('pending');
    expect(server.stats().byKey['sk-conc']).toMatchObject({ maxConcurrency: 2, rateLimited: 3 });
  });

  it('enforces a daily cap', async () => {
    const ctx = context('sk-daily');
    await provider.submit(request('speech', 'one'), ctx);
    await provider.submit(request('speech', 'two'), ctx);
    const error = await providerError(provider.submit(request('speech', 'three'), ctx));
    expect(error.errorClass).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(minuteMs * 1000);
  });

  it('keeps exact counters, the same through GET /v1/stats', async () => {
    const ctx = context('sk-free');
    await provider.submit(request('image', 'same prompt'), ctx);
    await provider.submit(request('image', 'same prompt'), ctx);
    await providerError(provider.submit(request('image', 'other', { simulate: { fault: '500' } }), ctx));
    const stats = server.stats();
    expect(stats).toMatchObject({ submits: 3, accepted: 3, completed: 2, faults: 1, rateLimited: 0 });
    expect(stats.byPrompt).toEqual({ 'same prompt': 2, other: 1 });
    expect(stats.byKey['sk-free']).toMatchObject({ submits: 3, maxConcurrency: 1, submitsPerWindow: [3] });
    expect(await (await fetch(`${server.url}/v1/stats`)).json()).toEqual(stats);
  });

  it('serves many requests at once without losing count (not a timing test)', async () => {
    const total = 600;
    const batch = 100;
    for (let start = 0; start < total; start += batch) {
      const results = await Promise.all(
        Array.from({ length: batch }, (_, index) => provider.submit(request('image', `load ${start + index}`, { width: 64, height: 64 }), context('sk-free'))),
      );
      expect(results.every((result) => result.status === 'completed')).toBe(true);
    }
    expect(server.stats()).toMatchObject({ submits: total, accepted: total, completed: total });
    expect(server.stats().byKey['sk-free']?.maxConcurrency).toBeLessThanOrEqual(batch);
  });
});
