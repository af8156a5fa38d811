// Masks and Sora remixes end to end through the API, with the OpenAI adapter and its fake behind
// it: `mask_asset_id` and `remix_of` on POST /v1/jobs, checked at submit (tenant, PNG alpha and
// size, succeeded job on a Sora model), and the official `openai` client's images.edit with a
// mask and videos.remix against the OpenAI-compatible routes.
import type { AddressInfo } from 'node:net';
import OpenAI, { BadRequestError, NotFoundError, toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIProvider } from '@mediagate/providers';
import type { AssetView, JobView } from '../../../apps/api/src/index.ts';
import { buildTestApi, createTestKey, expectApiError, injectAs, type Inject, type TestApi } from '../../../apps/api/src/test-support.ts';
import { createHarness, type Harness } from '../../support/harness.ts';
import { image } from './media.ts';
import { startOpenAIFake, type OpenAIFake } from './server.ts';
import { openaiKey } from './subject.ts';

let fake: OpenAIFake;
let harness: Harness;
let api: TestApi;
let stranger: Inject;
let client: OpenAI;

beforeAll(async () => {
  fake = await startOpenAIFake({ keys: [openaiKey.secret] });
  harness = await createHarness({
    extraProviders: [createOpenAIProvider({ baseURL: fake.url, pollIntervalMs: 25 })],
    keys: { openai: [openaiKey] },
    // The fake's content URL is on loopback: let the output download through the URL guard.
    settings: { fetchAllow: [`127.0.0.1:${new URL(fake.url).port}`] },
  });
  process.env.MEDIAGATE_OPENAI_IMAGE_MODEL = 'openai/gpt-image-1';
  process.env.MEDIAGATE_OPENAI_VIDEO_MODEL = 'openai/sora-2';
  api = await buildTestApi(harness.runtime);
  stranger = injectAs(api.app, await createTestKey(harness.runtime, 'tenant-other'));
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = api.app.server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: api.apiKey, maxRetries: 0, timeout: 60_000 });
});
afterAll(async () => {
  delete process.env.MEDIAGATE_OPENAI_IMAGE_MODEL;
  delete process.env.MEDIAGATE_OPENAI_VIDEO_MODEL;
  await api?.app.close();
  await harness?.close();
  await fake?.close();
});

/** An RGBA PNG, transparent on its left half; `alpha: false` makes it opaque RGB. */
async function maskPng(width: number, height: number, alpha = true): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 4, 255);
  for (let y = 0; y < height; y++) for (let x = 0; x < width / 2; x++) pixels[(y * width + x) * 4 + 3] = 0;
  const png = sharp(pixels, { raw: { width, height, channels: 4 } });
  return (alpha ? png : png.removeAlpha()).png().toBuffer();
}

async function upload(bytes: Buffer, type: string, inject: Inject = api.inject): Promise<string> {
  const response = await inject({ method: 'POST', url: '/v1/uploads', payload: bytes, headers: { 'content-type': type } });
  expect(response.statusCode, response.body).toBe(201);
  return response.json<AssetView>().id;
}

async function submit(payload: Record<string, unknown>, inject: Inject = api.inject) {
  return inject({ method: 'POST', url: '/v1/jobs', payload });
}

async function finished(payload: Record<string, unknown>): Promise<JobView & { outputs: AssetView[] }> {
  const response = await submit(payload);
  expect(response.statusCode, response.body).toBe(201);
  const job = await harness.waitFor(response.json<JobView>().id, 60_000);
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  return (await api.inject({ method: 'GET', url: `/v1/jobs/${job.id}` })).json();
}

const posts = (path: RegExp) => fake.requests.filter((request) => request.method === 'POST' && path.test(request.path));

describe('mask_asset_id', () => {
  let base: string;
  let mask: string;
  beforeAll(async () => {
    base = await upload(await image(96, 64, 'png', 3), 'image/png');
    mask = await upload(await maskPng(96, 64), 'image/png');
  });

  it('sends the stored mask with the first reference image to /images/edits', async () => {
    const before = posts(/\/images\/edits$/).length;
    const job = await finished({ kind: 'image', model: 'openai/gpt-image-1', prompt: 'a boat in the clear half', image_asset_ids: [base], mask_asset_id: mask });
    expect(job.outputs).toHaveLength(1);
    expect(job).toMatchObject({ image_asset_ids: [base], mask_asset_id: mask, remix_of: null });
    const edits = posts(/\/images\/edits$/).slice(before);
    expect(edits).toHaveLength(1);
    const form = await fake.form(edits[0] as (typeof edits)[number]);
    const sent = form.get('mask') as File;
    expect(Buffer.from(await sent.arrayBuffer()).equals(await maskPng(96, 64))).toBe(true);
    expect(form.getAll('image[]')).toHaveLength(1);
  });

  it('refuses at submit, naming mask_asset_id, what no provider would take, and sends nothing', async () => {
    const before = fake.requests.length;
    const request = { kind: 'image', model: 'openai/gpt-image-1', prompt: 'x', image_asset_ids: [base] };
    const foreign = await upload(await maskPng(96, 64), 'image/png', stranger);
    expect(expectApiError(await submit({ ...request, mask_asset_id: foreign }), 404, 'mask_asset_id').message).toContain(foreign);
    const jpeg = await upload(await image(96, 64, 'jpeg'), 'image/jpeg');
    expect(expectApiError(await submit({ ...request, mask_asset_id: jpeg }), 400, 'mask_asset_id').allowed).toEqual(['image/png']);
    const opaque = await upload(await maskPng(96, 64, false), 'image/png');
    expect(expectApiError(await submit({ ...request, mask_asset_id: opaque }), 400, 'mask_asset_id').message).toMatch(/no alpha channel/);
    const small = await upload(await maskPng(48, 32), 'image/png');
    expect(expectApiError(await submit({ ...request, mask_asset_id: small }), 400, 'mask_asset_id').message).toMatch(/48x32 but the first reference image is 96x64/);
    expect(expectApiError(await submit({ kind: 'image', model: 'openai/gpt-image-1', prompt: 'x', mask_asset_id: mask }), 400, 'mask_asset_id').message).toMatch(/needs the image/);
    for (const model of ['local/card', 'simulated/image']) {
      const error = expectApiError(await submit({ ...request, model, mask_asset_id: mask }), 400, 'mask_asset_id');
      expect(error.message).toContain(`${model} takes no mask`);
    }
    expect(fake.requests.length).toBe(before);
  });

  it('prices a masked edit only on models that take a mask', async () => {
    const payload = { kind: 'image', model: 'openai/gpt-image-1', prompt: 'x', image_asset_ids: [base], mask_asset_id: mask, params: { aspect_ratio: '1:1' } };
    const response = await api.inject({ method: 'POST', url: '/v1/estimate', payload });
    expect(response.statusCode, response.body).toBe(200);
    const { alternatives } = response.json<{ alternatives: { provider: string; model: string }[] }>();
    expect(alternatives.map((option) => `${option.provider}/${option.model}`).sort()).toEqual([
      'openai/gpt-image-1',
      'openai/gpt-image-1-mini',
      'openai/gpt-image-1.5',
      'openai/gpt-image-2',
    ]);
  });

  it('passes the mask part of POST /v1/images/edits through the openai client', async () => {
    const before = posts(/\/images\/edits$/).length;
    const result = await client.images.edit({
      model: 'gpt-image-1',
      prompt: 'a red door',
      image: await toFile(await image(96, 64, 'png', 5), 'door.png', { type: 'image/png' }),
      mask: await toFile(await maskPng(96, 64), 'mask.png', { type: 'image/png' }),
    });
    expect(result.data?.[0]?.b64_json?.length).toBeGreaterThan(100);
    const [sent] = posts(/\/images\/edits$/).slice(before);
    const form = await fake.form(sent as NonNullable<typeof sent>);
    expect([form.get('model'), form.get('prompt')]).toEqual(['gpt-image-1', 'a red door']);
    expect(await sharp(Buffer.from(await (form.get('mask') as File).arrayBuffer())).metadata()).toMatchObject({ width: 96, height: 64, hasAlpha: true });

    const wrong = await client.images
      .edit({ prompt: 'x', image: await toFile(await image(96, 64, 'png'), 'a.png', { type: 'image/png' }), mask: await toFile(await maskPng(64, 64), 'm.png', { type: 'image/png' }) })
      .catch((error: unknown) => error);
    expect(wrong).toBeInstanceOf(BadRequestError);
    expect((wrong as BadRequestError).error).toMatchObject({ field: 'mask' });
  });
});

describe('remix_of', () => {
  let source: JobView & { outputs: AssetView[] };
  let sourceVideoId: string;
  beforeAll(async () => {
    source = await finished({ kind: 'video', model: 'openai/sora-2', prompt: 'waves on a pier', params: { aspect_ratio: '16:9', duration: 8 } });
    const attempts = await harness.runtime.repo.listAttempts(source.id);
    sourceVideoId = (attempts.find((attempt) => attempt.status === 'succeeded')?.operation as { id: string }).id;
  });

  it("remixes a succeeded Sora job: POST /videos/{its video id}/remix, on its model, with its length and size", async () => {
    const before = fake.requests.length;
    const job = await finished({ kind: 'video', prompt: 'the same pier at night', remix_of: source.id });
    expect([job.provider, job.model, job.params]).toEqual(['openai', 'sora-2', { aspect_ratio: '16:9', duration: 8 }]);
    expect(job).toMatchObject({ image_asset_ids: [], mask_asset_id: null, remix_of: source.id });
    expect(job.estimated_cost_usd).toBe(0.8);
    const calls = fake.requests.slice(before).map((request) => `${request.method} ${request.path}`);
    expect(calls[0]).toBe(`POST /v1/videos/${sourceVideoId}/remix`);
    expect(calls.filter((call) => call.startsWith('POST'))).toHaveLength(1);
    expect(JSON.parse(fake.requests[before]?.body.toString('utf8') ?? '')).toEqual({ prompt: 'the same pier at night' });
    expect(job.outputs[0]).toMatchObject({ mime: 'video/mp4', width: 1280, height: 720 });
  });

  it('refuses at submit, naming remix_of, what cannot be remixed, and sends nothing', async () => {
    const before = fake.requests.length;
    expectApiError(await submit({ kind: 'video', prompt: 'x', remix_of: 'job_missing' }), 404, 'remix_of');
    expectApiError(await submit({ kind: 'video', prompt: 'x', remix_of: source.id }, stranger), 404, 'remix_of');
    expect(expectApiError(await submit({ kind: 'image', prompt: 'x', remix_of: source.id }), 400, 'remix_of').message).toMatch(/made video, not image/);
    const local = await finished({ kind: 'video', model: 'local/motion', prompt: 'slow zoom', params: { duration: 1 } });
    expect(expectApiError(await submit({ kind: 'video', prompt: 'x', remix_of: local.id }), 400, 'remix_of').message).toMatch(/local\/motion/);
    const queued = await submit({ kind: 'video', model: 'simulated/video', prompt: 'x', params: { simulate: { latency_ms: 5000 } } });
    expect(expectApiError(await submit({ kind: 'video', prompt: 'y', remix_of: queued.json<JobView>().id }), 400, 'remix_of').message).toMatch(/only a succeeded job can be remixed/);
    expect(expectApiError(await submit({ kind: 'video', model: 'openai/sora-2-pro', prompt: 'x', remix_of: source.id }), 400, 'remix_of').allowed).toEqual(['openai/sora-2']);
    expect(expectApiError(await submit({ kind: 'video', prompt: 'x', remix_of: source.id, params: { duration: 4 } }), 400, 'params.duration').allowed).toEqual([8]);
    expect(fake.requests.length).toBe(before);
  });

  it('remixes a video made through /v1/videos with the openai client, ids being job ids', async () => {
    const created = await client.videos.create({ model: 'sora-2', prompt: 'a kite', seconds: '4', size: '1280x720' });
    let video = created;
    while (video.status !== 'completed' && video.status !== 'failed') video = await client.videos.retrieve(created.id);
    expect(video.status).toBe('completed');
    const remix = await client.videos.remix(created.id, { prompt: 'a kite at dusk' });
    expect(remix).toMatchObject({ object: 'video', model: 'sora-2', remixed_from_video_id: created.id, prompt: 'a kite at dusk', seconds: '4', size: '1280x720' });
    let done = remix;
    while (done.status !== 'completed' && done.status !== 'failed') done = await client.videos.retrieve(remix.id);
    expect(done.status).toBe('completed');
    const content = await client.videos.downloadContent(remix.id);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');

    const missing = await client.videos.remix('job_nope', { prompt: 'x' }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    const extra = await client.post(`/videos/${created.id}/remix`, { body: { prompt: 'x', seconds: '8' } }).catch((error: unknown) => error);
    expect(extra).toBeInstanceOf(BadRequestError);
  });
});
