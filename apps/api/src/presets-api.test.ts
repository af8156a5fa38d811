// Presets through the API: CRUD per tenant beside the config file's presets, a request naming a
// preset gets its model and params under its own, unknown presets are a 400 listing the valid
// ones, and GET /v1/presets counts how the jobs that named each preset ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { JobView } from './index.ts';
import { buildTestApi, createTestKey, expectApiError, injectAs, sideEffects, type Inject, type TestApi } from './test-support.ts';

let harness: Harness;
let api: TestApi;
let inject: Inject;
let other: Inject;

interface PresetView {
  name: string;
  source: string;
  kind: string | null;
  model: string | null;
  params: Record<string, unknown>;
  stats: { succeeded: number; failed: number; canceled: number; success_rate: number | null };
}

beforeAll(async () => {
  harness = await createHarness({
    config: {
      routes: { social: { strategy: 'fallback', targets: ['simulated/image', 'local/card'] } },
      presets: {
        'instagram-story': { kind: 'image', model: 'high', params: { aspect_ratio: '9:16' }, description: 'Full-screen story' },
      },
    },
  });
  api = await buildTestApi(harness.runtime);
  inject = api.inject;
  other = injectAs(api.app, await createTestKey(harness.runtime, 'ten_other_presets'));
});
afterAll(async () => {
  await api?.app.close();
  await harness?.close();
});

const send = (method: InjectOptions['method'], url: string, payload?: unknown, as: Inject = inject) =>
  as({ method, url, ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }) });

describe('/v1/presets', () => {
  it('creates, reads, replaces, lists and deletes a tenant preset', async () => {
    const created = await send('PUT', '/v1/presets/thumb', { kind: 'image', model: 'social', params: { width: 96, height: 64 } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json<PresetView>()).toMatchObject({ name: 'thumb', source: 'tenant', model: 'social', params: { width: 96, height: 64 } });

    const replaced = await send('PUT', '/v1/presets/thumb', { kind: 'image', model: 'simulated/image', params: { width: 128, height: 72 } });
    expect(replaced.statusCode).toBe(200);
    expect((await send('GET', '/v1/presets/thumb')).json<PresetView>()).toMatchObject({ model: 'simulated/image', params: { width: 128, height: 72 } });

    const list = (await send('GET', '/v1/presets')).json<{ data: PresetView[] }>();
    expect(list.data.map((preset) => [preset.name, preset.source])).toEqual([
      ['instagram-story', 'config'],
      ['thumb', 'tenant'],
    ]);
    // Presets are per tenant.
    expect((await send('GET', '/v1/presets', undefined, other)).json<{ data: PresetView[] }>().data.map((preset) => preset.name)).toEqual(['instagram-story']);
    expectApiError(await send('GET', '/v1/presets/thumb', undefined, other), 404);

    const posted = await send('POST', '/v1/presets', { name: 'square', params: { aspect_ratio: '1:1' } });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(expectApiError(await send('POST', '/v1/presets', { name: 'square' }), 409).code).toBe('conflict');

    expect((await send('DELETE', '/v1/presets/square')).statusCode).toBe(204);
    expectApiError(await send('DELETE', '/v1/presets/square'), 404);
    expect(expectApiError(await send('DELETE', '/v1/presets/instagram-story'), 409).code).toBe('read_only');
  });

  it('refuses bad presets with a 400 naming the field, and stores nothing', async () => {
    const model = expectApiError(await send('PUT', '/v1/presets/bad', { model: 'nope' }), 400, 'model');
    expect(model.message).toContain('social');
    expect(model.message).toContain('high');
    expectApiError(await send('PUT', '/v1/presets/bad', { params: { aspect_ratio: 'wide' } }), 400, 'params.aspect_ratio');
    expectApiError(await send('PUT', '/v1/presets/bad', { colour: 'red' }), 400);
    expectApiError(await send('PUT', '/v1/presets/9lives', {}), 400, 'name');
    expectApiError(await send('GET', '/v1/presets/bad'), 404);
  });
});

describe('requests naming a preset', () => {
  it('fill in model and params under the request\'s own, and count toward the preset\'s success rate', async () => {
    await send('PUT', '/v1/presets/banner', { kind: 'image', model: 'simulated/image', params: { width: 160, height: 90, seed: 7 } });
    const ok = await send('POST', '/v1/jobs', { preset: 'banner', prompt: 'A banner', params: { seed: 9 } });
    expect(ok.statusCode, ok.body).toBe(201);
    const job = ok.json<JobView>();
    expect(job.kind).toBe('image');
    expect(job.targets).toEqual(['simulated/image']);
    expect(job.params).toEqual({ width: 160, height: 90, seed: 9 });
    const done = await harness.waitFor(job.id);
    expect([done.status, done.provider]).toEqual(['succeeded', 'simulated']);

    const failing = await send('POST', '/v1/jobs', { preset: 'banner', prompt: 'A refused banner', params: { simulate: { fault: 'content_policy' } } });
    expect(failing.statusCode, failing.body).toBe(201);
    expect((await harness.waitFor(failing.json<JobView>().id)).status).toBe('failed');
    const slow = await send('POST', '/v1/jobs', { preset: 'banner', prompt: 'A slow banner', params: { simulate: { latency_ms: 60_000 } } });
    await send('POST', `/v1/jobs/${slow.json<JobView>().id}/cancel`);
    const again = await send('POST', '/v1/jobs', { preset: 'banner', prompt: 'Another banner' });
    await harness.waitFor(again.json<JobView>().id);

    const banner = (await send('GET', '/v1/presets')).json<{ data: PresetView[] }>().data.find((preset) => preset.name === 'banner');
    expect(banner?.stats).toEqual({ succeeded: 2, failed: 1, canceled: 1, success_rate: 0.667 });
    expect((await send('GET', '/v1/presets/banner')).json<PresetView>().stats.succeeded).toBe(2);
  });

  it('a config preset naming a tier runs on that tier', async () => {
    const response = await send('POST', '/v1/jobs', { preset: 'instagram-story', prompt: 'Story card' });
    expect(response.statusCode, response.body).toBe(201);
    const job = response.json<JobView>();
    expect(job.params).toEqual({ aspect_ratio: '9:16' });
    expect(job.targets).toEqual(['local/card']);
    expect((await harness.waitFor(job.id)).status).toBe('succeeded');
  });

  it('an unknown preset, or one of another kind, is a 400 naming it; nothing is written', async () => {
    const before = await sideEffects(harness);
    const unknown = expectApiError(await send('POST', '/v1/jobs', { preset: 'instagram-stroy', prompt: 'x' }), 400, 'preset');
    expect(unknown.message).toContain('"instagram-stroy"');
    expect(unknown.message).toContain('instagram-story');
    expect(unknown.allowed).toEqual(expect.arrayContaining(['banner', 'instagram-story']));
    expectApiError(await send('POST', '/v1/jobs', { preset: 'instagram-story', kind: 'speech', prompt: 'x' }), 400, 'kind');
    expect(await sideEffects(harness)).toEqual(before);
  });
});
