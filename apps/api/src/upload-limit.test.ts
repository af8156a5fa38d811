// MEDIAGATE_MAX_UPLOAD_BYTES is the upload limit even when it is above the JSON body limit, for
// POST /v1/uploads and the files of POST /v1/images/edits, while JSON bodies keep their own limit.
// Sizes are scaled down (a 64 KiB JSON limit, a 256 KiB upload limit) so no test needs 50 MB;
// one test checks the reported case itself, the default 20 MiB JSON limit below a 24 MiB upload limit.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { AssetView } from './index.ts';
import { buildTestApi, expectApiError, formBody, type Inject } from './test-support.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const jsonLimit = 64 * KiB;
const uploadLimit = 256 * KiB;

/** A PNG of random pixels, so it does not compress: about width × height × 3 bytes. */
async function noisyPng(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe('an upload limit above the JSON body limit', () => {
  let harness: Harness;
  let app: FastifyInstance;
  let inject: Inject;
  /** Between the two limits: too large for a JSON body, small enough for an upload. */
  let png: Buffer;

  beforeAll(async () => {
    harness = await createHarness({ settings: { maxUploadBytes: uploadLimit } });
    ({ app, inject } = await buildTestApi(harness.runtime, { bodyLimit: jsonLimit }));
    png = await noisyPng(220, 200);
    expect(png.length).toBeGreaterThan(jsonLimit);
    expect(png.length).toBeLessThan(uploadLimit);
  });
  afterAll(async () => {
    await app?.close();
    await harness?.close();
  });

  it('POST /v1/uploads accepts an image larger than the JSON body limit, raw and as a form', async () => {
    const raw = await inject({ method: 'POST', url: '/v1/uploads', payload: png, headers: { 'content-type': 'image/png' } });
    expect(raw.statusCode, raw.body).toBe(201);
    expect(raw.json<AssetView>()).toMatchObject({ mime: 'image/png', width: 220, height: 200, bytes: png.length });
    const form = await inject({ method: 'POST', url: '/v1/uploads', ...formBody([{ name: 'file', filename: 'noise.png', type: 'image/png', content: png }]) });
    expect(form.statusCode, form.body).toBe(201);
    expect(form.json<AssetView>()).toMatchObject({ mime: 'image/png', bytes: png.length });
  });

  it('POST /v1/uploads answers 413 naming the configured limit past MEDIAGATE_MAX_UPLOAD_BYTES', async () => {
    const large = Buffer.alloc(uploadLimit + 1, 1);
    const raw = expectApiError(await inject({ method: 'POST', url: '/v1/uploads', payload: large, headers: { 'content-type': 'image/png' } }), 413, 'body');
    expect(raw.code).toBe('payload_too_large');
    expect(raw.message).toBe(`body: larger than the ${uploadLimit}-byte upload limit (MEDIAGATE_MAX_UPLOAD_BYTES)`);
    const form = expectApiError(await inject({ method: 'POST', url: '/v1/uploads', ...formBody([{ name: 'file', filename: 'big.png', content: large }]) }), 413, 'file');
    expect(form.message).toBe(`file: larger than the ${uploadLimit}-byte upload limit (MEDIAGATE_MAX_UPLOAD_BYTES)`);
  });

  it('POST /v1/images/edits accepts an image file larger than the JSON body limit', async () => {
    const form = formBody([
      { name: 'model', content: 'local/card' },
      { name: 'prompt', content: 'Noise' },
      { name: 'size', content: '256x256' },
      { name: 'image', filename: 'noise.png', type: 'image/png', content: png },
    ]);
    const response = await inject({ method: 'POST', url: '/v1/images/edits', ...form });
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    const b64 = response.json<{ data: { b64_json: string }[] }>().data[0]?.b64_json ?? '';
    expect(await sharp(Buffer.from(b64, 'base64')).metadata()).toMatchObject({ format: 'png', width: 256, height: 256 });
  });

  it('POST /v1/videos takes an input_reference file larger than the JSON body limit, and one file at most', async () => {
    const parts = [
      { name: 'model', content: 'local/motion' },
      { name: 'prompt', content: 'pan left' },
      { name: 'seconds', content: '4' },
      { name: 'size', content: '96x64' },
      { name: 'input_reference', filename: 'noise.png', type: 'image/png', content: png },
    ];
    const response = await inject({ method: 'POST', url: '/v1/videos', ...formBody(parts) });
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    const video = response.json<{ id: string }>();
    const job = await harness.runtime.repo.getJob(video.id);
    expect(job?.request.image_asset_ids).toHaveLength(1);
    const twice = await inject({ method: 'POST', url: '/v1/videos', ...formBody([...parts, { name: 'input_reference', filename: 'again.png', type: 'image/png', content: png }]) });
    expect(expectApiError(twice, 413, 'body').message).toBe('body: at most 1 file per request');
  });

  it('POST /v1/images/edits answers 413 naming the configured limit for a file past it', async () => {
    const form = formBody([
      { name: 'prompt', content: 'Noise' },
      { name: 'image', filename: 'big.png', type: 'image/png', content: Buffer.alloc(uploadLimit + 1, 1) },
    ]);
    const error = expectApiError(await inject({ method: 'POST', url: '/v1/images/edits', ...form }), 413, 'image');
    expect(error.code).toBe('payload_too_large');
    expect(error.message).toBe(`image: file larger than the ${uploadLimit}-byte upload limit (MEDIAGATE_MAX_UPLOAD_BYTES)`);
  });

  it('JSON bodies keep the JSON body limit, in the multipart routes\' scope too', async () => {
    const prompt = 'x'.repeat(jsonLimit);
    const job = await inject({ method: 'POST', url: '/v1/jobs', payload: { kind: 'image', model: 'local/card', prompt } });
    expect(expectApiError(job, 413, 'body')).toMatchObject({ code: 'payload_too_large', message: `body: larger than the ${jsonLimit}-byte limit on request bodies` });
    // /v1/videos takes JSON or multipart and is registered beside the edits route.
    const video = await inject({ method: 'POST', url: '/v1/videos', payload: { model: 'local/motion', prompt } });
    expect(expectApiError(video, 413, 'body')).toMatchObject({ code: 'payload_too_large', message: `body: larger than the ${jsonLimit}-byte limit on request bodies` });
  });
});

describe('MEDIAGATE_MAX_UPLOAD_BYTES above the default 20 MiB JSON body limit', () => {
  let harness: Harness;
  let app: FastifyInstance;
  let inject: Inject;

  beforeAll(async () => {
    harness = await createHarness({ settings: { maxUploadBytes: 24 * MiB }, workers: false });
    ({ app, inject } = await buildTestApi(harness.runtime));
  });
  afterAll(async () => {
    await app?.close();
    await harness?.close();
  });

  it('lets a 21 MiB upload through to the image check, and still refuses a 21 MiB JSON body', async () => {
    const bytes = Buffer.alloc(21 * MiB, 1);
    // Past the size check: what refuses these bytes is that they are not an image.
    const upload = expectApiError(await inject({ method: 'POST', url: '/v1/uploads', payload: bytes, headers: { 'content-type': 'image/png' } }), 400, 'body');
    expect(upload.message).toMatch(/not an image/);
    const json = await inject({ method: 'POST', url: '/v1/jobs', payload: bytes, headers: { 'content-type': 'application/json' } });
    expect(expectApiError(json, 413, 'body').code).toBe('payload_too_large');
  });
});
