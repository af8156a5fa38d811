// Runway adapter against its fake: the exact requests sent for each model, ratio and duration
// mapping, THROTTLED as queued, progress 0–1 → 0–100, failure codes, cancel, and what is refused.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, ProviderError } from '@mediagate/core';
import { validateAgainstCapabilities, type ProviderRequest } from '@mediagate/providers';
import { createRunwayProvider, runwayMinPollMs } from '../../../packages/providers/src/runway/runway-provider.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import type { FakeProvider } from '../subject.ts';
import { runwayBadKey, runwayGoodKey, startRunwayFake } from './server.ts';

const key = { id: 'runway-main', secret: runwayGoodKey };
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startRunwayFake({ taskMs: 1500 });
});
afterAll(() => fake.close());

function adapter() {
  return createRunwayProvider({ baseURL: fake.url, pollIntervalMs: 20, requestTimeoutMs: 5000 });
}

function request(model: string, overrides: Partial<ProviderRequest> = {}): ProviderRequest {
  const kind = model === 'gen4_image' ? 'image' : 'video';
  return { kind, mode: kind === 'image' ? 'text-to-image' : 'text-to-video', model, prompt: 'a red kite over dunes', params: {}, images: [], ...overrides };
}

function lastRequest(method: string, prefix: string) {
  const found = fake.requests.filter((entry) => entry.method === method && entry.path.startsWith(prefix)).at(-1);
  if (!found) throw new Error(`no ${method} ${prefix}`);
  return found;
}

describe('runway adapter', () => {
  it('polls no faster than Runway documents unless told to', () => {
    expect(createRunwayProvider().pollIntervalMs).toBe(runwayMinPollMs);
    expect(runwayMinPollMs).toBeGreaterThanOrEqual(5000);
  });

  it('creates a text_to_image task with the exact headers and body, then follows it to a PNG URL', async () => {
    const runway = adapter();
    const ctx = callContext(key);
    const submitted = await runway.submit(request('gen4_image', { params: { aspect_ratio: '16:9', seed: 42 } }), ctx);
    expect(submitted.status).toBe('pending');
    const sent = lastRequest('POST', '/v1/text_to_image');
    expect(sent.headers.authorization).toBe(`Bearer ${runwayGoodKey}`);
    expect(sent.headers['x-runway-version']).toBe('2024-11-06');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body.toString())).toEqual({ model: 'gen4_image', promptText: 'a red kite over dunes', ratio: '1920:1080', seed: 42 });
    if (submitted.status !== 'pending') return;
    const { pending, done } = await pollToEnd(runway, submitted.operation, ctx);
    expect(lastRequest('GET', '/v1/tasks/').headers['x-runway-version']).toBe('2024-11-06');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((entry) => entry.status === 'pending' && (entry.progress ?? 0) >= 0 && (entry.progress ?? 0) <= 100)).toBe(true);
    expect(done.status === 'completed' && done.outputs[0]?.type === 'url' && done.outputs[0].url).toMatch(/\/files\/out-\d+\.png$/);
  });

  it('reports THROTTLED as queued and RUNNING progress as a percentage', async () => {
    const runway = adapter();
    const ctx = callContext(key);
    const submitted = await runway.submit(request('gen4.5', { params: { duration: 2 } }), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a task');
    const { pending } = await pollToEnd(runway, submitted.operation, ctx);
    const messages = pending.map((entry) => (entry.status === 'pending' ? entry.message : undefined));
    expect(messages).toContain('throttled: waiting for other Runway tasks to finish');
    const progress = pending.flatMap((entry) => (entry.status === 'pending' && entry.message === undefined ? [entry.progress ?? -1] : []));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((value) => Number.isInteger(value) && value >= 35 && value <= 100)).toBe(true);
    expect(JSON.parse(lastRequest('POST', '/v1/text_to_video').body.toString())).toEqual({ model: 'gen4.5', promptText: 'a red kite over dunes', ratio: '1280:720', duration: 2 });
  });

  it('sends a reference image as a data URI to image_to_video with an exact size and the default duration', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'runway-test-'));
    const file = path.join(dir, 'ref.png');
    await writeFile(file, pngImage(64, 48, 3));
    const runway = adapter();
    await runway.submit(
      request('gen4_turbo', { mode: 'image-to-video', params: { width: 832, height: 1104 }, images: [{ path: file, mime: 'image/png', width: 64, height: 48 }] }),
      callContext(key),
    );
    const body = JSON.parse(lastRequest('POST', '/v1/image_to_video').body.toString()) as Record<string, unknown>;
    expect(body).toEqual({
      model: 'gen4_turbo',
      promptText: 'a red kite over dunes',
      ratio: '832:1104',
      duration: 5,
      promptImage: `data:image/png;base64,${pngImage(64, 48, 3).toString('base64')}`,
    });
  });

  it('refuses sizes Runway does not render and durations it does not offer, naming the allowed values', () => {
    const runway = adapter();
    const spec = (id: string) => runway.models.find((model) => model.id === id);
    const odd = request('gen4_image', { params: { width: 1000, height: 1000 } });
    expect(() => runway.validate?.(odd)).toThrow(/renders only these sizes.*1024:1024/);
    const gen45 = spec('gen4.5');
    if (!gen45) throw new Error('gen4.5 missing');
    expect(() => validateAgainstCapabilities('runway', gen45, request('gen4.5', { params: { duration: 12 } }))).toThrow(InputError);
    expect(() => validateAgainstCapabilities('runway', gen45, request('gen4.5', { params: { aspect_ratio: '1:1' } }))).toThrow(/allowed: 16:9, 9:16/);
    expect(() => validateAgainstCapabilities('runway', gen45, request('gen4.5', { params: { negative_prompt: 'blur' } }))).toThrow(/params.negative_prompt/);
  });

  it('classifies a SAFETY.* failure as a content-policy refusal', async () => {
    fake.fail('content_policy');
    const runway = adapter();
    const ctx = callContext(key);
    const submitted = await runway.submit(request('gen4_image'), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a task');
    const failure = await pollToEnd(runway, submitted.operation, ctx).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).errorClass).toBe('content_policy');
    expect((failure as ProviderError).providerCode).toBe('SAFETY.INPUT.TEXT');
  });

  it('classifies 429 with Retry-After, 401 as auth, and a body without an id as malformed', async () => {
    const runway = adapter();
    fake.fail('rate_limit');
    const limited = await runway.submit(request('gen4_image'), callContext(key)).catch((error: unknown) => error);
    expect(limited).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 1000, status: 429 });
    const denied = await runway.submit(request('gen4_image'), callContext({ id: 'bad', secret: runwayBadKey })).catch((error: unknown) => error);
    expect(denied).toMatchObject({ errorClass: 'auth', status: 401 });
    expect((denied as Error).message).not.toContain(runwayBadKey);
    fake.fail('malformed');
    const malformed = await runway.submit(request('gen4_image'), callContext(key)).catch((error: unknown) => error);
    expect(malformed).toMatchObject({ errorClass: 'malformed' });
  });

  it('cancels with DELETE /v1/tasks/{id}, after which the task reads CANCELLED', async () => {
    const runway = adapter();
    const ctx = callContext(key);
    const submitted = await runway.submit(request('gen4.5', { params: { duration: 2 } }), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a task');
    await runway.cancel?.(submitted.operation, ctx);
    const deleted = lastRequest('DELETE', '/v1/tasks/');
    expect(deleted.path).toBe(`/v1/tasks/${(submitted.operation as { id: string }).id}`);
    expect(deleted.headers.authorization).toBe(`Bearer ${runwayGoodKey}`);
    const after = await runway.poll?.(submitted.operation, ctx).catch((error: unknown) => error);
    expect(after).toMatchObject({ errorClass: 'canceled' });
  });
});
