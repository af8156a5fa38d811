// The HTTP API driven in-process with app.inject() against a real runtime (Redis, PostgreSQL,
// simulated provider, workers): what a client sees for good requests, bad ones and uploads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import sharp from 'sharp';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { until } from '../../../test/support/until.ts';
import type { AssetView, JobView } from './index.ts';
import { buildTestApi, expectApiError, sideEffects, type Inject } from './test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let inject: Inject;

beforeAll(async () => {
  harness = await createHarness({ keys: { simulated: [{ id: 'k1', secret: 'sk-very-secret' }] } });
  ({ app, inject } = await buildTestApi(harness.runtime, { bodyLimit: 2 * 1024 * 1024, maxUploadBytes: 2 * 1024 * 1024 }));
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

type JobWithOutputs = JobView & { outputs: AssetView[] };

async function postJob(payload: unknown) {
  return inject({ method: 'POST', url: '/v1/jobs', payload: payload as InjectOptions['payload'] });
}

async function waitViaApi(id: string, timeoutMs = 30_000): Promise<JobWithOutputs> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await inject({ method: 'GET', url: `/v1/jobs/${id}` });
    expect(response.statusCode).toBe(200);
    const job = response.json<JobWithOutputs>();
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function pngBytes(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#2a6f97' } }).png().toBuffer();
}

/** Runs `request` and asserts it answered the error and left no job and no provider submit behind. */
async function rejects(request: () => Promise<Awaited<ReturnType<typeof postJob>>>, status: number, field?: string) {
  const before = await sideEffects(harness);
  const response = await request();
  const error = expectApiError(response, status, field);
  expect(await sideEffects(harness)).toEqual(before);
  return error;
}

describe('creating and fetching jobs', () => {
  const cases = [
    { name: 'simulated/image', model: 'simulated/image', width: 320, height: 200, provider: 'simulated' },
    { name: 'local/card', model: 'local/card', width: 400, height: 256, provider: 'local' },
  ];
  for (const { name, model, width, height, provider } of cases) {
    it(`runs a ${name} job to a stored PNG of the asked size`, async () => {
      const created = await postJob({ kind: 'image', prompt: `Launch day for ${name}`, model, params: { width, height } });
      expect(created.statusCode).toBe(201);
      const job = created.json<JobView>();
      // This process works the job's queue with a slot free, so the job starts in its insert.
      expect(job).toMatchObject({ object: 'job', kind: 'image', status: 'running', targets: [model] });
      expect(job.attempts).toMatchObject([{ number: 1, provider, status: 'submitting' }]);
      expect(job.id).toMatch(/^job_/);

      const done = await waitViaApi(job.id);
      expect(done.status).toBe('succeeded');
      expect(done.provider).toBe(provider);
      expect(done.outputs).toHaveLength(1);
      const output = done.outputs[0] as AssetView;
      expect(output).toMatchObject({ url: `/v1/assets/${output.id}/content`, mime: 'image/png', kind: 'image', width, height });
      expect(output.bytes).toBeGreaterThan(0);

      const meta = await inject({ method: 'GET', url: `/v1/assets/${output.id}` });
      expect(meta.json()).toEqual(output);

      const content = await inject({ method: 'GET', url: output.url });
      expect(content.statusCode).toBe(200);
      expect(content.headers['content-type']).toBe('image/png');
      expect(Number(content.headers['content-length'])).toBe(output.bytes);
      expect(content.headers.etag).toBe(`"${output.sha256}"`);
      expect(content.rawPayload.length).toBe(output.bytes);
      const info = await sharp(content.rawPayload).metadata();
      expect([info.format, info.width, info.height]).toEqual(['png', width, height]);
    });
  }

  it('lists a job\'s events in order and resumes after a sequence number', async () => {
    const created = await postJob({ kind: 'image', prompt: 'events', model: 'simulated/image' });
    const { id } = created.json<JobView>();
    await waitViaApi(id);
    const all = (await inject({ method: 'GET', url: `/v1/jobs/${id}/events` })).json<{ data: { seq: number; type: string }[] }>();
    expect(all.data.map((event) => event.type)).toEqual(['queued', 'attempt', 'succeeded']);
    const later = (await inject({ method: 'GET', url: `/v1/jobs/${id}/events?after=1` })).json<{ data: { seq: number }[] }>();
    expect(later.data.map((event) => event.seq)).toEqual([2, 3]);
    expectApiError(await inject({ method: 'GET', url: `/v1/jobs/${id}/events?after=-1` }), 400, 'after');
    expectApiError(await inject({ method: 'GET', url: '/v1/jobs/job_nope/events' }), 404);
  });
});

describe('rejecting bad job requests with nothing stored or sent', () => {
  const valid = { kind: 'image', prompt: 'a lighthouse', model: 'simulated/image' };

  it('names a missing or unknown kind and lists the kinds', async () => {
    await rejects(() => postJob({ prompt: 'x' }), 400, 'kind');
    const error = await rejects(() => postJob({ ...valid, kind: 'hologram' }), 400, 'kind');
    expect(error.message).toMatch(/image, video, speech/);
    expect(error.allowed).toEqual(['image', 'video', 'speech']);
  });

  it('rejects an empty prompt, unknown fields and wrong types', async () => {
    await rejects(() => postJob({ ...valid, prompt: '' }), 400, 'prompt');
    await rejects(() => postJob({ ...valid, colour: 'red' }), 400, 'colour');
    const unknownParam = await rejects(() => postJob({ ...valid, params: { foo: 1 } }), 400, 'params.foo');
    expect(unknownParam.message).toMatch(/foo/);
    await rejects(() => postJob({ ...valid, params: { width: '512' } }), 400, 'params.width');
    await rejects(() => postJob({ ...valid, prompt: 42 }), 400, 'prompt');
    await rejects(() => postJob({ ...valid, image_asset_ids: 'ast_1' }), 400, 'image_asset_ids');
  });

  it('names unknown providers and models with what is available', async () => {
    const provider = await rejects(() => postJob({ ...valid, model: 'opnai/gpt-image-1' }), 400, 'model');
    expect(provider.message).toMatch(/available: local, simulated/);
    const model = await rejects(() => postJob({ ...valid, model: 'simulated/imagen' }), 400, 'model');
    expect(model.message).toMatch(/simulated\/image\b/);
    await rejects(() => postJob({ ...valid, model: 'no-slash' }), 400, 'model');
    await rejects(() => postJob({ ...valid, fallbacks: ['nowhere/x'] }), 400, 'fallbacks[0]');
  });

  it('refuses what the model cannot do: kind, size, aspect ratio', async () => {
    const kind = await rejects(() => postJob({ kind: 'video', prompt: 'x', model: 'local/card' }), 400, 'model');
    expect(kind.message).toMatch(/makes image, not video/);
    const width = await rejects(() => postJob({ ...valid, params: { width: 10000, height: 512 } }), 400, 'params.width');
    expect(width.message).toMatch(/64–4096/);
    await rejects(() => postJob({ ...valid, params: { aspect_ratio: 'wide' } }), 400, 'params.aspect_ratio');
    const ratio = await rejects(() => postJob({ ...valid, params: { aspect_ratio: '5:7' } }), 400, 'params.aspect_ratio');
    expect(ratio.allowed).toContain('16:9');
  });

  it('answers malformed bodies and content types with JSON errors', async () => {
    const post = (payload: string | Buffer, contentType?: string) => () =>
      inject({ method: 'POST', url: '/v1/jobs', payload, headers: contentType ? { 'content-type': contentType } : {} });
    expect((await rejects(post('{"kind": "image",', 'application/json'), 400)).code).toBe('invalid_json');
    expect((await rejects(post('{"__proto__": {"x": 1}}', 'application/json'), 400)).code).toBe('invalid_json');
    expect((await rejects(post('', 'application/json'), 400, 'body')).code).toBe('invalid_request');
    expect((await rejects(post('[1, 2]', 'application/json'), 400, 'body')).code).toBe('invalid_request');
    expect((await rejects(post('null', 'application/json'), 400, 'body')).code).toBe('invalid_request');
    expect((await rejects(post('kind=image', 'application/x-www-form-urlencoded'), 415)).code).toBe('unsupported_media_type');
    expect((await rejects(post(JSON.stringify(valid), 'text/plain'), 415)).code).toBe('unsupported_media_type');
    expect((await rejects(post(await pngBytes(8, 8), 'image/png'), 415)).code).toBe('unsupported_media_type');
    expect((await rejects(post(JSON.stringify(valid)), 415)).code).toBe('unsupported_media_type');
    const huge = JSON.stringify({ ...valid, prompt: 'x'.repeat(3 * 1024 * 1024) });
    const tooLarge = await rejects(post(huge, 'application/json'), 413, 'body');
    expect(tooLarge.code).toBe('payload_too_large');
    expect(tooLarge.message).toBe(`body: larger than the ${2 * 1024 * 1024}-byte limit on request bodies`);
  });

  it('rejects text PostgreSQL cannot store (NUL, lone surrogates) as bad input', async () => {
    await rejects(() => postJob({ ...valid, prompt: 'a\u0000b' }), 400, 'prompt');
    await rejects(() => postJob({ ...valid, metadata: { note: 'x\ud800' } }), 400, 'metadata.note');
    expectApiError(await inject({ method: 'GET', url: '/v1/jobs/job_%00' }), 400, 'id');
    expectApiError(await inject({ method: 'GET', url: '/v1/jobs?before=%00' }), 400, 'before');
  });
});

describe('reading, listing and canceling jobs', () => {
  it('answers unknown ids with a 404 JSON error', async () => {
    expect(expectApiError(await inject({ method: 'GET', url: '/v1/jobs/job_missing' }), 404).code).toBe('not_found');
    expectApiError(await inject({ method: 'POST', url: '/v1/jobs/job_missing/cancel' }), 404);
    expectApiError(await inject({ method: 'GET', url: `/v1/jobs/${'j'.repeat(300)}` }), 400, 'id');
    expect(expectApiError(await inject({ method: 'GET', url: `/v1/jobs/${'j'.repeat(3000)}` }), 414).code).toBe('uri_too_long');
    expectApiError(await inject({ method: 'GET', url: '/v1/jobs/%E0%A4%A' }), 400);
    expectApiError(await inject({ method: 'GET', url: '/v1/nothing-here' }), 404);
  });

  it('cancels a queued job', async () => {
    const idle = await createHarness({ workers: false });
    const { app: idleApp, inject: idleAppInject } = await buildTestApi(idle.runtime);
    try {
      const created = await idleAppInject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'never runs', model: 'simulated/image' } });
      const { id } = created.json<JobView>();
      const canceled = await idleAppInject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
      expect(canceled.statusCode).toBe(200);
      expect(canceled.json<JobView>().status).toBe('canceled');
      // Clients often send a JSON content type with no body on a bare POST.
      const again = await idleAppInject({ method: 'POST', url: `/v1/jobs/${id}/cancel`, headers: { 'content-type': 'application/json' } });
      expect(again.statusCode).toBe(200);
      expect(again.json<JobView>().status).toBe('canceled');
      expect((await idleAppInject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobView>().status).toBe('canceled');
      expect(idle.simulated.stats().submits).toBe(0);
    } finally {
      await idleApp.close();
      await idle.close();
    }
  });

  it('pages with before/limit and filters by status and kind', async () => {
    const idle = await createHarness({ workers: false });
    const { app: idleApp, inject: idleAppInject } = await buildTestApi(idle.runtime);
    try {
      const ids: string[] = [];
      for (let index = 0; index < 5; index++) {
        const created = await idleAppInject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: `page ${index}` } });
        ids.push(created.json<JobView>().id);
      }
      const speech = await idleAppInject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'speech', prompt: 'hello there' } });
      expect(speech.statusCode).toBe(201);
      const speechId = speech.json<JobView>().id;
      await idleAppInject({ method: 'POST', url: `/v1/jobs/${ids[0]}/cancel` });

      type Page = { object: string; data: JobView[]; next_cursor: string | null };
      const list = async (query: string) => {
        const response = await idleAppInject({ method: 'GET', url: `/v1/jobs${query}` });
        expect(response.statusCode).toBe(200);
        return response.json<Page>();
      };
      const newestFirst = [speechId, ...[...ids].reverse()];
      const first = await list('?limit=4');
      expect(first.data.map((job) => job.id)).toEqual(newestFirst.slice(0, 4));
      expect(first.next_cursor).toBe(newestFirst[3]);
      const second = await list(`?limit=4&before=${first.next_cursor}`);
      expect(second.data.map((job) => job.id)).toEqual(newestFirst.slice(4));
      expect(second.next_cursor).toBeNull();

      expect((await list('?kind=speech')).data.map((job) => job.id)).toEqual([speechId]);
      expect((await list('?status=canceled')).data.map((job) => job.id)).toEqual([ids[0]]);
      expect((await list('?status=queued&kind=image')).data).toHaveLength(4);

      expectApiError(await idleAppInject({ method: 'GET', url: '/v1/jobs?limit=0' }), 400, 'limit');
      expectApiError(await idleAppInject({ method: 'GET', url: '/v1/jobs?limit=abc' }), 400, 'limit');
      const status = expectApiError(await idleAppInject({ method: 'GET', url: '/v1/jobs?status=nope' }), 400, 'status');
      expect(status.message).toMatch(/queued/);
      expectApiError(await idleAppInject({ method: 'GET', url: '/v1/jobs?sort=asc' }), 400, 'sort');
      expectApiError(await idleAppInject({ method: 'GET', url: '/v1/jobs?status=queued&status=failed' }), 400, 'status');
    } finally {
      await idleApp.close();
      await idle.close();
    }
  });
});

describe('uploads', () => {
  const upload = (payload: Buffer | string, contentType?: string) =>
    inject({ method: 'POST', url: '/v1/uploads', payload, headers: contentType ? { 'content-type': contentType } : {} });

  it('stores a PNG and uses it as the photo of an image-to-image card', async () => {
    const png = await pngBytes(120, 80);
    const response = await upload(png, 'image/png');
    expect(response.statusCode).toBe(201);
    const asset = response.json<AssetView>();
    expect(asset).toMatchObject({ mime: 'image/png', kind: 'image', width: 120, height: 80, bytes: png.length });
    const content = await inject({ method: 'GET', url: asset.url });
    expect(content.rawPayload.equals(png)).toBe(true);

    const created = await postJob({ kind: 'image', prompt: 'With a photo', model: 'local/card', image_asset_ids: [asset.id], params: { width: 320, height: 320 } });
    expect(created.statusCode).toBe(201);
    const done = await waitViaApi(created.json<JobView>().id);
    expect(done.status).toBe('succeeded');
    const meta = await sharp((await inject({ method: 'GET', url: done.outputs[0]?.url ?? '' })).rawPayload).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 320, 320]);
  });

  it('sniffs the bytes instead of trusting the content type', async () => {
    const error = expectApiError(await upload('definitely not a picture', 'image/png'), 400, 'body');
    expect(error.message).toMatch(/not an image/);
    expect(error.message).not.toContain(harness.settings.home);
    expectApiError(await upload(Buffer.alloc(0), 'image/png'), 400, 'body');
  });

  it('refuses non-image content types and oversized bodies', async () => {
    expect(expectApiError(await upload('{"a":1}', 'application/json'), 415).code).toBe('unsupported_media_type');
    expect(expectApiError(await upload('hello', 'text/plain'), 415).code).toBe('unsupported_media_type');
    expect(expectApiError(await upload(Buffer.from([1, 2, 3]), 'application/octet-stream'), 415).code).toBe('unsupported_media_type');
    expect(expectApiError(await upload(Buffer.alloc(3 * 1024 * 1024, 7), 'image/png'), 413).code).toBe('payload_too_large');
  });

  it('answers an unknown reference image with a 404 naming it', async () => {
    const error = await rejects(
      () => postJob({ kind: 'image', prompt: 'x', model: 'local/card', image_asset_ids: ['ast_nope'] }),
      404,
      'image_asset_ids[0]',
    );
    expect(error.code).toBe('not_found');
  });
});

describe('system routes', () => {
  it('lists providers with models and capabilities and never a secret', async () => {
    const response = await inject({ method: 'GET', url: '/v1/providers' });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('sk-very-secret');
    type Listed = { id: string; keys: { id: string }[]; models: { id: string; capabilities: { kind: string } }[] };
    const { data } = response.json<{ data: Listed[] }>();
    expect(data.map((provider) => provider.id).sort()).toEqual(['local', 'simulated']);
    const simulated = data.find((provider) => provider.id === 'simulated');
    expect(simulated?.keys).toMatchObject([{ id: 'k1', pool: 'default', source: 'env', status: 'active' }]);
    expect(simulated?.models.map((model) => model.id)).toContain('simulated/image');
    const card = data.find((provider) => provider.id === 'local')?.models.find((model) => model.id === 'local/card');
    expect(card?.capabilities).toMatchObject({ kind: 'image', modes: ['text-to-image', 'image-to-image'] });
  });

  it('shows each key of a keyed provider with its status and health, and an operator\'s disable and enable', async () => {
    const adminKey = 'test-admin-key-api-providers';
    const keyed = await createHarness({ keys: { simulated: [{ id: 'k1', secret: 'sk-first-secret' }, { id: 'k2', secret: 'sk-second-secret' }] } });
    const { app: keyedApp, inject: keyedInject } = await buildTestApi(keyed.runtime, { adminKey });
    type Health = { attempts: number; success_rate: number | null; p50_ms: number | null; p95_ms: number | null };
    type Key = { id: string; pool: string; source: string; status: string; reason?: string; in_flight: number; requests_today: number; health: Health };
    type Provider = { id: string; requires_key: boolean; status: string; health: Health; pools: string[]; keys: Key[] };
    const simulated = async () => {
      const response = await keyedInject({ method: 'GET', url: '/v1/providers' });
      expect(response.statusCode).toBe(200);
      const provider = response.json<{ data: Provider[] }>().data.find((entry) => entry.id === 'simulated');
      expect(provider).toBeDefined();
      return provider as Provider;
    };
    const admin = (url: string) => keyedInject({ method: 'POST', url, headers: { authorization: `Bearer ${adminKey}` } });
    try {
      const fresh = await simulated();
      const noAttempts = { attempts: 0, success_rate: null, p50_ms: null, p95_ms: null };
      expect(fresh).toMatchObject({ requires_key: true, status: 'ok', health: noAttempts, pools: ['default'] });
      expect(fresh.keys).toEqual([
        expect.objectContaining({ id: 'k1', pool: 'default', source: 'env', status: 'active', in_flight: 0, requests_today: 0, health: noAttempts }),
        expect.objectContaining({ id: 'k2', pool: 'default', source: 'env', status: 'active', in_flight: 0, requests_today: 0, health: noAttempts }),
      ]);
      expect(fresh.keys.some((key) => 'reason' in key)).toBe(false);

      // One job: its key and the provider each count one succeeded attempt.
      const job = await keyed.submit({ kind: 'image', prompt: 'Counted', model: 'simulated/image', params: { width: 64, height: 64 } });
      expect((await keyed.waitFor(job.id)).status).toBe('succeeded');
      const [attempt] = await keyed.runtime.repo.listAttempts(job.id);
      await until(async () => (await simulated()).health.attempts === 1, 10_000, 'the attempt in the provider\'s health');
      const used = await simulated();
      expect(used.health).toMatchObject({ attempts: 1, success_rate: 1 });
      expect(used.health.p50_ms).toBeGreaterThanOrEqual(0);
      expect(used.health.p95_ms).toBe(used.health.p50_ms);
      const usedKey = used.keys.find((key) => key.id === attempt?.keyId);
      expect(usedKey).toMatchObject({ status: 'active', requests_today: 1, health: used.health });
      expect(used.keys.find((key) => key.id !== attempt?.keyId)?.health).toEqual(noAttempts);

      // An operator disables k2: it shows as inactive with the reason; k1 stays active.
      expect((await admin('/v1/admin/providers/simulated/keys/k2/disable')).statusCode).toBe(200);
      const disabled = await simulated();
      expect(disabled.keys.map((key) => [key.id, key.status])).toEqual([
        ['k1', 'active'],
        ['k2', 'inactive'],
      ]);
      expect(disabled.keys[1]?.reason).toBe('disabled by an operator');
      expect((await admin('/v1/admin/providers/simulated/keys/k2/enable')).statusCode).toBe(200);
      const enabled = await simulated();
      expect(enabled.keys.map((key) => [key.id, key.status])).toEqual([
        ['k1', 'active'],
        ['k2', 'active'],
      ]);
      expect(enabled.keys[1]).not.toHaveProperty('reason');
    } finally {
      await keyedApp.close();
      await keyed.close();
    }
  });

  it('reports health', async () => {
    const response = await inject({ method: 'GET', url: '/healthz' });
    expect(response.json()).toEqual({ status: 'ok' });
  });
});
