// Two tenants on one server, each with its own key: every kind of resource one of them owns —
// jobs, their events and streams, outputs, uploads, OpenAI videos, idempotency keys — answers
// the other with 404 (or leaves it out of lists and streams), and nothing of the owner's changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { AssetView, JobView } from './index.ts';
import { SseClient } from './sse-test-client.ts';
import { bearer, createTestKey, expectApiError, injectAs, type Inject } from './test-support.ts';
import { buildApi } from './index.ts';

type JobWithOutputs = JobView & { outputs: AssetView[] };

let harness: Harness;
let app: FastifyInstance;
let baseUrl: string;
const keys = { alice: '', bob: '' };
let alice: Inject;
let bob: Inject;

/** Alice's things that Bob must not reach. */
let finished: JobWithOutputs;
let live: JobView;
let upload: AssetView;
let video: { id: string; status: string };

async function waitFor(inject: Inject, id: string, timeoutMs = 30_000): Promise<JobWithOutputs> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await inject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobWithOutputs>();
    if (['succeeded', 'failed', 'canceled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function created<T>(response: LightMyRequestResponse): T {
  expect(response.statusCode, response.body.slice(0, 300)).toBeLessThan(300);
  return response.json<T>();
}

beforeAll(async () => {
  harness = await createHarness();
  app = await buildApi(harness.runtime, { logger: false });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  keys.alice = await createTestKey(harness.runtime, 'ten_alice');
  keys.bob = await createTestKey(harness.runtime, 'ten_bob');
  alice = injectAs(app, keys.alice);
  bob = injectAs(app, keys.bob);

  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).png().toBuffer();
  upload = created<AssetView>(await alice({ method: 'POST', url: '/v1/uploads', payload: png, headers: { 'content-type': 'image/png' } }));
  const job = created<JobView>(await alice({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'Alice only', model: 'simulated/image', params: { width: 64, height: 64 } } }));
  live = created<JobView>(
    await alice({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'image', prompt: 'Still running', model: 'simulated/image-async', params: { width: 64, height: 64, simulate: { latency_ms: 60_000, progress_steps: 2 } } },
    }),
  );
  video = created(await alice({ method: 'POST', url: '/v1/videos', payload: { model: 'local/motion', prompt: 'Alice pans', seconds: '4', size: '128x72' } }));
  finished = await waitFor(alice, job.id);
  expect(finished.status).toBe('succeeded');
  expect((await waitFor(alice, video.id, 60_000)).status).toBe('succeeded');
});
afterAll(async () => {
  await alice?.({ method: 'POST', url: `/v1/jobs/${live?.id}/cancel` });
  await app?.close();
  await harness?.close();
});

/** The same request as Alice (must work) and as Bob (must be a 404). */
async function ownerOnly(request: InjectOptions, ownerStatus = 200): Promise<void> {
  const label = `${request.method} ${request.url}`;
  const theirs = await bob(request);
  expect(theirs.statusCode, `${label} as the other tenant: ${theirs.body.slice(0, 200)}`).toBe(404);
  expectApiError(theirs, 404);
  const own = await alice(request);
  expect(own.statusCode, `${label} as the owner: ${own.body.slice(0, 200)}`).toBe(ownerStatus);
}

describe('another tenant\'s jobs', () => {
  it('answer 404 to get, events (JSON and stream), cancel and delete, and the owner\'s job is untouched', async () => {
    await ownerOnly({ method: 'GET', url: `/v1/jobs/${finished.id}` });
    await ownerOnly({ method: 'GET', url: `/v1/jobs/${finished.id}/events` });
    await ownerOnly({ method: 'GET', url: `/v1/jobs/${live.id}` });

    expectApiError(await bob({ method: 'GET', url: `/v1/jobs/${live.id}/events`, headers: { accept: 'text/event-stream' } }), 404);
    expectApiError(await bob({ method: 'POST', url: `/v1/jobs/${live.id}/cancel` }), 404);
    expectApiError(await bob({ method: 'DELETE', url: `/v1/jobs/${finished.id}` }), 404);
    expectApiError(await bob({ method: 'DELETE', url: `/v1/jobs/${live.id}` }), 404);

    const stillLive = (await alice({ method: 'GET', url: `/v1/jobs/${live.id}` })).json<JobView>();
    expect(['queued', 'running']).toContain(stillLive.status);
    const stillThere = (await alice({ method: 'GET', url: `/v1/jobs/${finished.id}` })).json<JobWithOutputs>();
    expect(stillThere.outputs.map((output) => output.id)).toEqual(finished.outputs.map((output) => output.id));
  });

  it('are left out of the other tenant\'s job list and OpenAI video list', async () => {
    const ids = (list: LightMyRequestResponse) => list.json<{ data: { id: string }[] }>().data.map((entry) => entry.id);
    expect(ids(await alice({ method: 'GET', url: '/v1/jobs?limit=200' }))).toEqual(expect.arrayContaining([finished.id, live.id, video.id]));
    expect(ids(await bob({ method: 'GET', url: '/v1/jobs?limit=200' }))).toEqual([]);
    expect(ids(await alice({ method: 'GET', url: '/v1/videos' }))).toEqual([video.id]);
    expect(ids(await bob({ method: 'GET', url: '/v1/videos' }))).toEqual([]);
  });

  it('stream to their own tenant only: the other tenant\'s /v1/events stays silent', async () => {
    const alicesStream = await SseClient.open(`${baseUrl}/v1/events`, bearer(keys.alice));
    const bobsStream = await SseClient.open(`${baseUrl}/v1/events`, bearer(keys.bob));
    try {
      const job = created<JobView>(await alice({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'Streamed', model: 'simulated/image', params: { width: 64, height: 64 } } }));
      await alicesStream.until((frames) => frames.some((frame) => frame.id === `${job.id}:3`), 20_000);
      expect(bobsStream.frames).toEqual([]);
      // Bob's own job does reach Bob: the stream was working all along.
      const own = created<JobView>(await bob({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', prompt: 'Mine', model: 'simulated/image', params: { width: 64, height: 64 } } }));
      await bobsStream.until((frames) => frames.some((frame) => frame.id?.startsWith(`${own.id}:`) ?? false), 20_000);
      expect(bobsStream.frames.every((frame) => frame.id?.startsWith(`${own.id}:`) ?? false)).toBe(true);
    } finally {
      alicesStream.close();
      bobsStream.close();
    }
  });

  it('answer the per-job event stream with 404 over a real connection', async () => {
    const response = await fetch(`${baseUrl}/v1/jobs/${live.id}/events`, { headers: { ...bearer(keys.bob), accept: 'text/event-stream' } });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('another tenant\'s assets', () => {
  it('answer 404 to metadata, content (ranged too) and share, for outputs and uploads', async () => {
    for (const asset of [finished.outputs[0] as AssetView, upload]) {
      await ownerOnly({ method: 'GET', url: `/v1/assets/${asset.id}` });
      await ownerOnly({ method: 'GET', url: `/v1/assets/${asset.id}/content` });
      await ownerOnly({ method: 'GET', url: `/v1/assets/${asset.id}/content`, headers: { range: 'bytes=0-3' } }, 206);
      await ownerOnly({ method: 'POST', url: `/v1/assets/${asset.id}/share`, payload: {} }, 201);
    }
  });

  it('cannot be used as a reference image: 404 naming image_asset_ids, and no job is made', async () => {
    const before = await harness.runtime.repo.countJobs('ten_bob');
    const refused = await bob({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'image', prompt: 'Borrowed photo', model: 'local/card', image_asset_ids: [upload.id], params: { width: 64, height: 64 } },
    });
    expect(expectApiError(refused, 404, 'image_asset_ids[0]').message).toContain(upload.id);
    expect(await harness.runtime.repo.countJobs('ten_bob')).toEqual(before);
    const own = await alice({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'image', prompt: 'Own photo', model: 'local/card', image_asset_ids: [upload.id], params: { width: 64, height: 64 } },
    });
    expect(own.statusCode).toBe(201);
  });
});

describe('another tenant\'s OpenAI videos', () => {
  it('answer 404 to retrieve and to content', async () => {
    await ownerOnly({ method: 'GET', url: `/v1/videos/${video.id}` });
    await ownerOnly({ method: 'GET', url: `/v1/videos/${video.id}/content` });
  });

  it('answer 404 to a remix and no job is made for either tenant', async () => {
    // How many jobs, whatever their state: jobs of earlier tests may still move between states.
    const jobsOf = async (tenantId: string) => Object.values(await harness.runtime.repo.countJobs(tenantId)).reduce((sum, count) => sum + count, 0);
    const [alicesBefore, bobsBefore] = [await jobsOf('ten_alice'), await jobsOf('ten_bob')];
    const remix = { method: 'POST' as const, url: `/v1/videos/${video.id}/remix`, payload: { prompt: 'Bob pans the other way' } };
    const theirs = await bob(remix);
    const error = expectApiError(theirs, 404);
    expect(error.code).toBe('not_found');
    expect(error.field).toBeUndefined();
    // The owner reaches the video: its local/motion clip cannot be remixed, a 400 naming video_id, not a 404.
    const own = expectApiError(await alice(remix), 400, 'video_id');
    expect(own.message).toContain(video.id);
    expect(await jobsOf('ten_bob')).toBe(bobsBefore);
    expect(await jobsOf('ten_alice')).toBe(alicesBefore);
    const ids = (list: LightMyRequestResponse) => list.json<{ data: { id: string }[] }>().data.map((entry) => entry.id);
    expect(ids(await bob({ method: 'GET', url: '/v1/videos' }))).toEqual([]);
    expect(ids(await alice({ method: 'GET', url: '/v1/videos' }))).toEqual([video.id]);
  });
});

describe('idempotency keys', () => {
  it('belong to one tenant: the same key is a new job for another tenant, and replays within each', async () => {
    const request = (inject: Inject, prompt: string) =>
      inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { 'idempotency-key': 'order-7781' },
        payload: { kind: 'image', prompt, model: 'simulated/image', params: { width: 64, height: 64 } },
      });
    const first = await request(alice, 'Alice order');
    expect(first.statusCode).toBe(201);
    // Another tenant with the same key and another body: its own new job, not a 409 and not Alice's job.
    const other = await request(bob, 'Bob order');
    expect(other.statusCode).toBe(201);
    expect(other.json<JobView>().id).not.toBe(first.json<JobView>().id);
    // Each replays its own.
    const aliceAgain = await request(alice, 'Alice order');
    expect([aliceAgain.statusCode, aliceAgain.json<JobView>().id]).toEqual([200, first.json<JobView>().id]);
    const bobAgain = await request(bob, 'Bob order');
    expect([bobAgain.statusCode, bobAgain.json<JobView>().id]).toEqual([200, other.json<JobView>().id]);
    // Bob sending Alice's body under the shared key is Bob's conflict, not a view of Alice's job.
    const crossed = await request(bob, 'Alice order');
    expect(expectApiError(crossed, 409).message).not.toContain(first.json<JobView>().id);
  });
});
