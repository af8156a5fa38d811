// The job routes beyond create-and-read, driven with app.inject(): Idempotency-Key replays and
// conflicts, list filters and cursors, deleting jobs with their stored bytes, cost estimates and
// what a finished job says it cost, metadata and priority, and reference images by URL.
import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions } from 'fastify';
import sharp from 'sharp';
import { newId } from '@mediagate/core';
import { submitJob } from '@mediagate/engine';
import { startWorkers } from '@mediagate/worker';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { startImageServer } from '../../../test/support/image-server.ts';
import type { AssetView, JobView } from './index.ts';
import type { PricedModel } from './routes-estimate.ts';
import { expectApiError, sideEffects, buildTestApi, type Inject } from './test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let inject: Inject;
const otherTenant = 'ten_other';

beforeAll(async () => {
  harness = await createHarness();
  ({ app, inject } = await buildTestApi(harness.runtime));
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

type JobWithOutputs = JobView & { outputs: AssetView[] };
type Page = { data: JobView[]; next_cursor: string | null };

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  inject({ method: 'POST', url, payload: payload as InjectOptions['payload'], headers });

async function waitViaApi(id: string): Promise<JobWithOutputs> {
  const job = await harness.waitFor(id);
  expect(job.status).toBe('succeeded');
  return (await inject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobWithOutputs>();
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

describe('POST /v1/jobs with Idempotency-Key', () => {
  it('answers a replay with the same job and sends the provider one submit', async () => {
    const key = `key-${newId('job')}`;
    const body = { kind: 'image', prompt: 'Replay me', model: 'simulated/image', params: { width: 96, height: 64 } };
    const before = harness.simulated.stats().submits;
    const first = await post('/v1/jobs', body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const { id } = first.json<JobView>();
    await waitViaApi(id);

    // The same request with its keys in another order is the same request.
    const again = await post('/v1/jobs', { params: { height: 64, width: 96 }, model: 'simulated/image', prompt: 'Replay me', kind: 'image' }, { 'idempotency-key': key });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const replayed = again.json<JobWithOutputs>();
    expect(replayed).toMatchObject({ id, status: 'succeeded' });
    expect(replayed.outputs).toHaveLength(1);
    expect(harness.simulated.stats().submits - before).toBe(1);
    const events = await harness.events(id);
    expect(events.filter((event) => event.type === 'queued')).toHaveLength(1);
  });

  it('creates one job when the same key arrives many times at once', async () => {
    const idle = await createHarness({ workers: false });
    const { app: idleApp, inject: idleAppInject } = await buildTestApi(idle.runtime);
    try {
      const key = `burst-${newId('job')}`;
      const body = { kind: 'image', prompt: 'Burst', model: 'simulated/image' };
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => idleAppInject({ method: 'POST', url: '/v1/jobs', payload: body, headers: { 'idempotency-key': key } })),
      );
      expect(answers.map((answer) => answer.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(new Set(answers.map((answer) => answer.json<JobView>().id)).size).toBe(1);
      expect((await idle.runtime.repo.countJobs()).queued).toBe(1);
    } finally {
      await idleApp.close();
      await idle.close();
    }
  });

  it('refuses the same key with a different request, writing and sending nothing', async () => {
    const key = `conflict-${newId('job')}`;
    const created = await post('/v1/jobs', { kind: 'image', prompt: 'Original', model: 'local/card' }, { 'idempotency-key': key });
    expect(created.statusCode).toBe(201);
    const before = await sideEffects(harness);
    const conflict = expectApiError(await post('/v1/jobs', { kind: 'image', prompt: 'Changed', model: 'local/card' }, { 'idempotency-key': key }), 409, 'idempotency-key');
    expect(conflict.code).toBe('idempotency_conflict');
    expect(conflict.message).toContain(created.json<JobView>().id);
    expect(await sideEffects(harness)).toEqual(before);
    // Keys belong to a tenant: another tenant may use the same key for its own job.
    const theirs = await submitJob(harness.runtime, otherTenant, { kind: 'image', prompt: 'Theirs', model: 'local/card' }, { idempotencyKey: key });
    expect(theirs.id).not.toBe(created.json<JobView>().id);
    expectApiError(await post('/v1/jobs', { kind: 'image', prompt: 'x' }, { 'idempotency-key': 'has space' }), 400, 'idempotency-key');
  });
});

describe('GET /v1/jobs filters and cursors', () => {
  it('filters by provider, batch and creation time and pages with next_cursor', async () => {
    const idle = await createHarness({ workers: false });
    const { app: idleApp, inject: idleAppInject } = await buildTestApi(idle.runtime);
    const list = async (query: string) => {
      const response = await idleAppInject({ method: 'GET', url: `/v1/jobs${query}` });
      expect(response.statusCode, response.body).toBe(200);
      return response.json<Page>();
    };
    const create = async (payload: Record<string, unknown>) =>
      (await idleAppInject({ method: 'POST', url: '/v1/jobs', payload })).json<JobView>().id;
    try {
      const early = [await create({ kind: 'image', prompt: 'a', model: 'simulated/image' }), await create({ kind: 'image', prompt: 'b', model: 'local/card' })];
      await new Promise((resolve) => setTimeout(resolve, 30));
      const middle = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 30));
      const late = [await create({ kind: 'image', prompt: 'c', model: 'simulated/image' }), await create({ kind: 'speech', prompt: 'd' })];
      const batched = newId('job');
      const request = { kind: 'image' as const, prompt: 'batched', params: {} };
      await idle.runtime.repo.createJob({ id: batched, tenantId: 'ten_default', kind: 'image', request, targets: [{ provider: 'local', model: 'card' }], batchId: 'bat_spring' });
      await idle.runtime.repo.createJob({ id: newId('job'), tenantId: otherTenant, kind: 'image', request, targets: [{ provider: 'local', model: 'card' }], batchId: 'bat_spring' });

      const ids = (page: Page) => page.data.map((job) => job.id);
      expect(ids(await list('?provider=simulated'))).toEqual([late[0], early[0]]);
      expect(ids(await list('?provider=local&kind=image'))).toEqual([batched, early[1]]);
      expect(ids(await list('?batch_id=bat_spring'))).toEqual([batched]);
      expect(ids(await list(`?created_after=${encodeURIComponent(middle)}&provider=simulated`))).toEqual([late[0]]);
      expect(ids(await list(`?created_before=${encodeURIComponent(middle)}`))).toEqual([...early].reverse());

      // Walk a filtered list one job at a time; the last full page says there is no more.
      const walked: string[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const page: Page = await list(`?provider=local&limit=1${cursor ? `&before=${cursor}` : ''}`);
        walked.push(...ids(page));
        cursor = page.next_cursor;
      }
      expect(walked).toEqual([batched, late[1], early[1]]);
      const exact = await list('?provider=simulated&limit=2');
      expect(exact.data).toHaveLength(2);
      expect(exact.next_cursor).toBeNull();

      for (const [query, field] of [
        ['created_after=yesterday', 'created_after'],
        ['created_before=2026-13-01T00:00:00Z', 'created_before'],
        ['provider=Not%20a%20provider', 'provider'],
        ['batch_id=', 'batch_id'],
        ['limit=201', 'limit'],
        ['batch=bat_spring', 'batch'],
      ] as const) {
        expectApiError(await idleAppInject({ method: 'GET', url: `/v1/jobs?${query}` }), 400, field);
      }
    } finally {
      await idleApp.close();
      await idle.close();
    }
  });
});

describe('DELETE /v1/jobs/:id', () => {
  it('removes the job, its events, attempts and outputs, and the file no other asset holds', async () => {
    // A size no other job in this file makes: the simulated provider paints one of eight colors,
    // so another output of the same size could hold the very same bytes (and keep the file).
    const created = await post('/v1/jobs', { kind: 'image', prompt: `Delete me ${newId('job')}`, model: 'simulated/image', params: { width: 88, height: 72 } });
    const done = await waitViaApi(created.json<JobView>().id);
    const output = done.outputs[0] as AssetView;
    const stored = await harness.runtime.repo.getAsset(output.id);
    const file = await harness.runtime.store.localPath(stored?.storageKey ?? '');
    expect(await exists(file)).toBe(true);

    const deleted = await inject({ method: 'DELETE', url: `/v1/jobs/${done.id}` });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');
    expectApiError(await inject({ method: 'GET', url: `/v1/jobs/${done.id}` }), 404);
    expectApiError(await inject({ method: 'GET', url: output.url }), 404);
    expect(await harness.runtime.repo.listEvents(done.id, 0)).toEqual([]);
    expect(await harness.runtime.repo.listAttempts(done.id)).toEqual([]);
    expect(await exists(file)).toBe(false);
    expectApiError(await inject({ method: 'DELETE', url: `/v1/jobs/${done.id}` }), 404);
  });

  it('keeps bytes that an upload of the same content still uses', async () => {
    const created = await post('/v1/jobs', { kind: 'image', prompt: `Shared ${newId('job')}`, model: 'local/card', params: { width: 80, height: 80 } });
    const done = await waitViaApi(created.json<JobView>().id);
    const output = done.outputs[0] as AssetView;
    const bytes = (await inject({ method: 'GET', url: output.url })).rawPayload;
    const upload = await inject({ method: 'POST', url: '/v1/uploads', payload: bytes, headers: { 'content-type': 'image/png' } });
    expect(upload.statusCode).toBe(201);
    const copy = upload.json<AssetView>();
    expect(copy.sha256).toBe(output.sha256);

    expect((await inject({ method: 'DELETE', url: `/v1/jobs/${done.id}` })).statusCode).toBe(204);
    const content = await inject({ method: 'GET', url: copy.url });
    expect(content.statusCode).toBe(200);
    expect(content.rawPayload.equals(bytes)).toBe(true);
  });

  it('cancels a queued job before deleting it, and never touches another tenant\'s', async () => {
    const idle = await createHarness({ workers: false });
    const { app: idleApp, inject: idleAppInject } = await buildTestApi(idle.runtime);
    try {
      const queued = (await idleAppInject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'waiting', model: 'simulated/image' } })).json<JobView>();
      expect(queued.status).toBe('queued');
      expect((await idleAppInject({ method: 'DELETE', url: `/v1/jobs/${queued.id}` })).statusCode).toBe(204);
      expect(await idle.runtime.repo.getJob(queued.id)).toBeUndefined();
      const theirs = await submitJob(idle.runtime, otherTenant, { kind: 'image', prompt: 'not yours', model: 'local/card' });
      expectApiError(await idleAppInject({ method: 'DELETE', url: `/v1/jobs/${theirs.id}` }), 404);
      expect(await idle.runtime.repo.getJob(theirs.id)).toMatchObject({ status: 'queued' });
      expectApiError(await idleAppInject({ method: 'DELETE', url: '/v1/jobs/job_missing' }), 404);
      expect(idle.simulated.stats().submits).toBe(0);
    } finally {
      await idleApp.close();
      await idle.close();
    }
  });
});

describe('POST /v1/estimate', () => {
  type Estimate = { estimate: PricedModel; alternatives: PricedModel[]; cheapest: PricedModel };

  it('prices the request on its model and on every model able to run it, writing nothing', async () => {
    const before = await sideEffects(harness);
    const response = await post('/v1/estimate', { kind: 'image', prompt: 'What would it cost?', model: 'simulated/image', params: { width: 256, height: 256 } });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<Estimate>();
    expect(body.estimate).toMatchObject({ provider: 'simulated', model: 'image' });
    expect(body.estimate.usd).toBeGreaterThan(0);
    const byTarget = new Map(body.alternatives.map((option) => [`${option.provider}/${option.model}`, option]));
    expect(byTarget.get('local/card')?.usd).toBe(0);
    expect(byTarget.get('simulated/image')).toEqual(body.estimate);
    // Models that make other kinds are not alternatives.
    expect(byTarget.has('local/tts')).toBe(false);
    expect(byTarget.has('simulated/video')).toBe(false);
    expect(body.cheapest).toMatchObject({ provider: 'local', model: 'card', usd: 0 });
    expect(await sideEffects(harness)).toEqual(before);
  });

  it('refuses what POST /v1/jobs refuses, and another tenant\'s reference image', async () => {
    expectApiError(await post('/v1/estimate', { kind: 'video', prompt: 'x', model: 'local/card' }), 400, 'model');
    expectApiError(await post('/v1/estimate', [1]), 400, 'body');
    const asset = await harness.runtime.repo.insertAsset({
      id: newId('ast'),
      tenantId: otherTenant,
      jobId: null,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 10,
      mime: 'image/png',
      kind: 'image',
      width: 8,
      height: 8,
      durationMs: null,
      storageKey: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    const error = expectApiError(await post('/v1/estimate', { kind: 'image', prompt: 'x', model: 'local/card', image_asset_ids: [asset.id] }), 404, 'image_asset_ids[0]');
    expect(error.code).toBe('not_found');
  });
});

describe('POST /v1/jobs metadata', () => {
  it('answers the metadata unchanged on create, on GET /v1/jobs/:id and in the list', async () => {
    const metadata = { campaign: 'spring-2026', customer_id: '000482', 'order.line': '3', price: '12.50', note: 'Grüße aus 東京 & "quotes" \\ {json}' };
    const created = await post('/v1/jobs', { kind: 'image', prompt: `Metadata ${newId('job')}`, model: 'local/card', params: { width: 64, height: 64 }, metadata });
    expect(created.statusCode, created.body).toBe(201);
    const job = created.json<JobView>();
    expect(job.metadata).toEqual(metadata);
    const done = await waitViaApi(job.id);
    expect(done.metadata).toEqual(metadata);
    const listed = (await inject({ method: 'GET', url: '/v1/jobs?provider=local&limit=200' })).json<Page>().data.find((entry) => entry.id === job.id);
    expect(listed?.metadata).toEqual(metadata);
    // No metadata is an empty object, not null.
    const plain = await post('/v1/jobs', { kind: 'image', prompt: `No metadata ${newId('job')}`, model: 'local/card', params: { width: 64, height: 64 } });
    expect(plain.json<JobView>().metadata).toEqual({});
  });

  it('takes string pairs only: nested objects, numbers and too many keys are a 400 naming the key, storing nothing', async () => {
    const body = (metadata: unknown) => ({ kind: 'image', prompt: 'Bad metadata', model: 'simulated/image', metadata });
    const before = await sideEffects(harness);
    expectApiError(await post('/v1/jobs', body({ customer: { id: 'c_1', tier: 'gold' } })), 400, 'metadata.customer');
    expectApiError(await post('/v1/jobs', body({ campaign: 'spring', count: 3 })), 400, 'metadata.count');
    expectApiError(await post('/v1/jobs', body(['spring'])), 400, 'metadata');
    expectApiError(await post('/v1/jobs', body({ note: 'x'.repeat(1001) })), 400, 'metadata.note');
    const tooMany = expectApiError(await post('/v1/jobs', body(Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`k${index}`, 'v'])))), 400, 'metadata');
    expect(tooMany.message).toMatch(/at most 50 keys/);
    expect(await sideEffects(harness)).toEqual(before);
  });
});

describe('POST /v1/jobs priority', () => {
  it('shows the priority given on the answer, the job and the list, and 50 when absent', async () => {
    for (const [priority, shown] of [
      [1, 1],
      [100, 100],
      [undefined, 50],
    ] as const) {
      const created = await post('/v1/jobs', { kind: 'image', prompt: `Priority ${priority}`, model: 'local/card', params: { width: 64, height: 64 }, ...(priority === undefined ? {} : { priority }) });
      expect(created.statusCode, created.body).toBe(201);
      const job = created.json<JobView>();
      expect(job.priority).toBe(shown);
      expect((await waitViaApi(job.id)).priority).toBe(shown);
      const listed = (await inject({ method: 'GET', url: '/v1/jobs?provider=local&limit=200' })).json<Page>().data.find((entry) => entry.id === job.id);
      expect(listed?.priority).toBe(shown);
    }
  });

  it('refuses a priority outside 1–100 or not a whole number with a 400 naming priority, storing and sending nothing', async () => {
    const body = (priority: unknown) => ({ kind: 'image', prompt: 'Bad priority', model: 'simulated/image', priority });
    const before = await sideEffects(harness);
    // Whatever is wrong with it, the answer names the field and the whole allowed range.
    for (const priority of [0, -3, 101, 2.5, '10', null, true, [1]]) {
      const error = expectApiError(await post('/v1/jobs', body(priority)), 400, 'priority');
      expect(error.message).toBe('priority: a whole number from 1 (runs first) to 100 (runs last)');
    }
    expect(await sideEffects(harness)).toEqual(before);
  });

  it('runs jobs queued while no worker was up in priority order once one slot frees, lowest number first', async () => {
    const idle = await createHarness({ workers: false });
    const { app: idleApp, inject: idleAppInject } = await buildTestApi(idle.runtime);
    let fleet: Awaited<ReturnType<typeof startWorkers>> | undefined;
    try {
      const priorities = [90, 10, 50, 30, 70];
      const ids = new Map<string, number>();
      for (const priority of priorities) {
        const created = await idleAppInject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: `Order ${priority}`, model: 'local/card', params: { width: 64, height: 64 }, priority } });
        expect(created.json<JobView>()).toMatchObject({ status: 'queued', priority });
        ids.set(created.json<JobView>().id, priority);
      }
      // One worker slot on local's queue: the queued jobs run one at a time, in the queue's order.
      fleet = await startWorkers(idle.runtime, { providers: ['local'], concurrency: { local: 1 } });
      const done = await Promise.all([...ids.keys()].map(async (id) => {
        expect((await idle.waitFor(id)).status).toBe('succeeded');
        return (await idleAppInject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobView>();
      }));
      const byStart = [...done].sort((a, b) => Date.parse(a.started_at ?? '') - Date.parse(b.started_at ?? ''));
      expect(byStart.map((job) => job.priority)).toEqual([10, 30, 50, 70, 90]);
      // One at a time: each started after the one before it finished.
      for (let index = 1; index < byStart.length; index++) {
        expect(Date.parse(byStart[index]?.started_at ?? '')).toBeGreaterThanOrEqual(Date.parse(byStart[index - 1]?.finished_at ?? ''));
      }
    } finally {
      await fleet?.close();
      await idleApp.close();
      await idle.close();
    }
  });
});

describe('what a finished job says it cost', () => {
  type Estimate = { estimate: PricedModel };

  it('shows progress 100 and the model\'s price as the estimated and the actual cost', async () => {
    const cases = [
      // simulated/image: $0.01 per image.
      { body: { kind: 'image', prompt: `Priced image ${newId('job')}`, model: 'simulated/image', params: { width: 64, height: 64 } }, usd: 0.01 },
      // simulated/speech: $0.015 per 1,000 characters of the prompt; 250 characters.
      { body: { kind: 'speech', prompt: 'a'.repeat(250), model: 'simulated/speech', params: { duration: 1 } }, usd: 0.00375 },
      // local/card is free.
      { body: { kind: 'image', prompt: `Free card ${newId('job')}`, model: 'local/card', params: { width: 64, height: 64 } }, usd: 0 },
    ];
    for (const { body, usd } of cases) {
      const label = body.model;
      const estimate = await post('/v1/estimate', body);
      expect(estimate.statusCode, estimate.body).toBe(200);
      expect(estimate.json<Estimate>().estimate.usd, label).toBe(usd);

      const created = await post('/v1/jobs', body);
      expect(created.statusCode, created.body).toBe(201);
      const job = created.json<JobView>();
      expect([job.estimated_cost_usd, job.actual_cost_usd], label).toEqual([usd, null]);
      const done = await waitViaApi(job.id);
      expect(done, label).toMatchObject({ status: 'succeeded', progress: 100, estimated_cost_usd: usd, actual_cost_usd: usd });
      const attempts = (done as JobWithOutputs & { attempts: { status: string; cost_usd: number | null }[] }).attempts;
      expect(attempts.map((attempt) => [attempt.status, attempt.cost_usd]), label).toEqual([['succeeded', usd]]);
      const listed = (await inject({ method: 'GET', url: '/v1/jobs?limit=200' })).json<Page>().data.find((entry) => entry.id === job.id);
      expect(listed, label).toMatchObject({ progress: 100, estimated_cost_usd: usd, actual_cost_usd: usd });
    }
  });
});

describe('POST /v1/jobs with image_urls', () => {
  it('fetches an allowlisted loopback image once, stores it as the job\'s reference and uses it; another loopback server is a 400 naming the URL', async () => {
    const png = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#e11d48' } }).png().toBuffer();
    const allowed = await startImageServer(png);
    const elsewhere = await startImageServer(png);
    // As MEDIAGATE_FETCH_ALLOW=127.0.0.1:<port> would: that one server, not loopback at large.
    const fetching = await createHarness({ settings: { fetchAllow: [new URL(allowed.base).host] } });
    const { app: fetchingApp, inject: fetchingInject } = await buildTestApi(fetching.runtime);
    const postJob = (payload: Record<string, unknown>) => fetchingInject({ method: 'POST', url: '/v1/jobs', payload });
    const card = (urls?: string[]) => ({ kind: 'image', prompt: 'Open house', model: 'local/card', params: { width: 320, height: 200, seed: 7 }, ...(urls ? { image_urls: urls } : {}) });
    const finished = async (id: string) => {
      expect((await fetching.waitFor(id)).status).toBe('succeeded');
      return (await fetchingInject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobWithOutputs>();
    };
    const content = async (url: string) => (await fetchingInject({ method: 'GET', url })).rawPayload;
    const storedObjects = async () => (await readdir(path.join(fetching.settings.home, 'assets', 'objects'), { recursive: true })).sort();
    try {
      const created = await postJob(card([`${allowed.base}/photo.png`]));
      expect(created.statusCode, created.body).toBe(201);
      const job = created.json<JobView>();
      expect(allowed.hits).toEqual(['/photo.png']);
      expect(job.image_asset_ids).toHaveLength(1);
      const assetId = job.image_asset_ids[0] ?? '';
      const asset = await fetchingInject({ method: 'GET', url: `/v1/assets/${assetId}` });
      expect(asset.statusCode).toBe(200);
      expect(asset.json<AssetView>()).toMatchObject({ id: assetId, kind: 'image', mime: 'image/png', width: 96, height: 64, bytes: png.length });
      expect((await content(`/v1/assets/${assetId}/content`)).equals(png)).toBe(true);

      const done = await finished(job.id);
      expect(done.image_asset_ids).toEqual([assetId]);
      // The worker read the stored asset: the URL was fetched once, at submit.
      expect(allowed.hits).toEqual(['/photo.png']);
      // ...and used it: the same card without the photo comes out different.
      const plain = await finished((await postJob(card())).json<JobView>().id);
      const [withPhoto, without] = [await content(done.outputs[0]?.url ?? ''), await content(plain.outputs[0]?.url ?? '')];
      expect((await sharp(withPhoto).metadata()).width).toBe(320);
      expect(withPhoto.equals(without)).toBe(false);

      const before = await sideEffects(fetching);
      const objectsBefore = await storedObjects();
      const refused = expectApiError(await postJob(card([`${elsewhere.base}/photo.png`])), 400, 'image_urls[0]');
      expect(refused.code).toBe('url_not_allowed');
      const second = expectApiError(await postJob(card([`${allowed.base}/photo.png`, `${elsewhere.base}/photo.png`])), 400, 'image_urls[1]');
      expect(second.code).toBe('url_not_allowed');
      expect(elsewhere.hits).toEqual([]);
      // The allowed URL of the refused pair was fetched to a scratch file and dropped: the store
      // holds no more objects than before either refusal.
      expect(await storedObjects()).toEqual(objectsBefore);
      expect(await sideEffects(fetching)).toEqual(before);
    } finally {
      await fetchingApp.close();
      await fetching.close();
      await allowed.close();
      await elsewhere.close();
    }
  });
});
