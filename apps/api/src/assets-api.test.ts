// Uploads and downloads driven with app.inject(): multipart and raw uploads with their limits,
// and asset content with Range (206/416), ETag / If-None-Match (304) and If-Range.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { AssetView, JobView } from './index.ts';
import { loadSettings } from '@mediagate/engine';
import { buildTestApi, expectApiError, formBody, type Inject } from './test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let inject: Inject;

beforeAll(async () => {
  harness = await createHarness();
  ({ app, inject } = await buildTestApi(harness.runtime, { maxUploadBytes: 64 * 1024 }));
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function pngBytes(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#9b2226' } }).png().toBuffer();
}

const uploadForm = (parts: Parameters<typeof formBody>[0]) => inject({ method: 'POST', url: '/v1/uploads', ...formBody(parts) });

describe('POST /v1/uploads as multipart/form-data', () => {
  it('stores the file and uses it as the photo of a local/card job', async () => {
    const png = await pngBytes(90, 60);
    const response = await uploadForm([{ name: 'file', filename: 'photo.jpg', type: 'image/jpeg', content: png }]);
    expect(response.statusCode, response.body).toBe(201);
    // The declared type said JPEG; the bytes are a PNG, and the bytes win.
    const asset = response.json<AssetView>();
    expect(asset).toMatchObject({ mime: 'image/png', kind: 'image', width: 90, height: 60, bytes: png.length });

    const created = await inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { kind: 'image', prompt: 'Framed', model: 'local/card', image_asset_ids: [asset.id], params: { width: 200, height: 200 } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const job = await harness.waitFor(created.json<JobView>().id);
    expect(job.status).toBe('succeeded');
  });

  it('names what is wrong with a form: no file, other fields, bytes that are not an image', async () => {
    expectApiError(await uploadForm([]), 400);
    expectApiError(await uploadForm([{ name: 'note', content: 'hello' }]), 400, 'note');
    expectApiError(await uploadForm([{ name: 'image', filename: 'a.png', content: await pngBytes(8, 8) }]), 400, 'image');
    const notImage = expectApiError(await uploadForm([{ name: 'file', filename: 'notes.txt', content: 'plain words' }]), 400, 'file');
    expect(notImage.message).toMatch(/not an image/);
    expect(notImage.message).not.toContain(harness.settings.home);
  });

  it('answers 413 past the upload limit and 415 for other content types', async () => {
    const large = Buffer.alloc(65 * 1024, 1);
    const form = expectApiError(await uploadForm([{ name: 'file', filename: 'big.png', content: large }]), 413, 'file');
    expect(form.code).toBe('payload_too_large');
    expect(form.message).toContain('65536-byte');
    const raw = expectApiError(await inject({ method: 'POST', url: '/v1/uploads', payload: large, headers: { 'content-type': 'image/png' } }), 413);
    expect(raw.message).toContain('MEDIAGATE_MAX_UPLOAD_BYTES');
    const text = expectApiError(await inject({ method: 'POST', url: '/v1/uploads', payload: 'x', headers: { 'content-type': 'text/plain' } }), 415);
    expect(text.message).toContain('multipart/form-data');
    // The raw-body upload still works beside the form one.
    const png = await pngBytes(20, 10);
    const direct = await inject({ method: 'POST', url: '/v1/uploads', payload: png, headers: { 'content-type': 'image/png' } });
    expect(direct.statusCode).toBe(201);
  });

  it('reads the limit from MEDIAGATE_MAX_UPLOAD_BYTES', () => {
    expect(loadSettings({ MEDIAGATE_MAX_UPLOAD_BYTES: '1048576' }).maxUploadBytes).toBe(1_048_576);
    expect(loadSettings({}).maxUploadBytes).toBe(20 * 1024 * 1024);
    expect(loadSettings({ MEDIAGATE_MAX_UPLOAD_BYTES: '' }).maxUploadBytes).toBe(20 * 1024 * 1024);
    expect(() => loadSettings({ MEDIAGATE_MAX_UPLOAD_BYTES: '20MB' })).toThrow(/MEDIAGATE_MAX_UPLOAD_BYTES/);
  });
});

describe('GET /v1/assets/:id/content', () => {
  let asset: AssetView;
  let bytes: Buffer;
  beforeAll(async () => {
    bytes = await pngBytes(40, 30);
    asset = (await inject({ method: 'POST', url: '/v1/uploads', payload: bytes, headers: { 'content-type': 'image/png' } })).json<AssetView>();
  });
  const get = (headers: Record<string, string>) => inject({ method: 'GET', url: asset.url, headers });

  it('answers the whole content with its type, length, ETag and Accept-Ranges', async () => {
    const response = await get({});
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'image/png', 'accept-ranges': 'bytes', etag: `"${asset.sha256}"` });
    expect(Number(response.headers['content-length'])).toBe(bytes.length);
    expect(response.rawPayload.equals(bytes)).toBe(true);
  });

  it('answers one byte range with 206 and exactly those bytes', async () => {
    const cases = [
      { range: 'bytes=0-9', start: 0, end: 9 },
      { range: 'bytes=10-', start: 10, end: bytes.length - 1 },
      { range: 'bytes=-16', start: bytes.length - 16, end: bytes.length - 1 },
      { range: `bytes=5-${bytes.length + 100}`, start: 5, end: bytes.length - 1 },
    ];
    for (const { range, start, end } of cases) {
      const response = await get({ range });
      expect(response.statusCode, range).toBe(206);
      expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${bytes.length}`);
      expect(Number(response.headers['content-length'])).toBe(end - start + 1);
      expect(response.headers['content-type']).toBe('image/png');
      expect(response.rawPayload.equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('answers 416 for a range past the end, and the whole content for ranges it does not serve', async () => {
    for (const range of [`bytes=${bytes.length}-`, 'bytes=-0']) {
      const response = await get({ range });
      expectApiError(response, 416, 'range');
      expect(response.headers['content-range']).toBe(`bytes */${bytes.length}`);
    }
    // Several ranges, other units and malformed headers are ignored, as RFC 9110 allows.
    for (const range of ['bytes=0-1,4-5', 'items=0-1', 'bytes=9-3', 'bytes=abc']) {
      const response = await get({ range });
      expect(response.statusCode, range).toBe(200);
      expect(response.rawPayload.equals(bytes)).toBe(true);
    }
  });

  it('answers 304 when If-None-Match names the ETag, and honors If-Range', async () => {
    const etag = `"${asset.sha256}"`;
    const unchanged = await get({ 'if-none-match': etag });
    expect(unchanged.statusCode).toBe(304);
    expect(unchanged.rawPayload.length).toBe(0);
    expect(unchanged.headers.etag).toBe(etag);
    expect((await get({ 'if-none-match': `"other", W/${etag}` })).statusCode).toBe(304);
    expect((await get({ 'if-none-match': '"something-else"' })).statusCode).toBe(200);
    expect((await get({ range: 'bytes=0-3', 'if-range': etag })).statusCode).toBe(206);
    const stale = await get({ range: 'bytes=0-3', 'if-range': '"older"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.rawPayload.equals(bytes)).toBe(true);
  });

  it('answers 404 for another tenant\'s asset', async () => {
    const theirs = await harness.runtime.repo.insertAsset({
      id: `ast_${asset.sha256.slice(0, 20)}`,
      tenantId: 'ten_other',
      jobId: null,
      sha256: asset.sha256,
      size: asset.bytes,
      mime: asset.mime,
      kind: 'image',
      width: asset.width,
      height: asset.height,
      durationMs: null,
      storageKey: asset.sha256,
    });
    expectApiError(await inject({ method: 'GET', url: `/v1/assets/${theirs.id}/content` }), 404);
    expectApiError(await inject({ method: 'GET', url: `/v1/assets/${theirs.id}/content`, headers: { range: 'bytes=0-1' } }), 404);
  });
});
