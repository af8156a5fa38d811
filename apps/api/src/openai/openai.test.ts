// The official `openai` client, unchanged but for its baseURL, against a listening Mediagate:
// images (generate, edit), speech and videos on the local providers, checked from the bytes.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import OpenAI, { BadRequestError, NotFoundError, toFile } from 'openai';
import type { VideoSize } from 'openai/resources/videos';
import sharp from 'sharp';
import { ffprobePath } from '@mediagate/storage';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { buildTestApi } from '../test-support.ts';

let harness: Harness;
let app: FastifyInstance;
let client: OpenAI;
let scratch: string;

beforeAll(async () => {
  harness = await createHarness();
  const api = await buildTestApi(harness.runtime);
  app = api.app;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: api.apiKey, maxRetries: 0, timeout: 60_000 });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'mediagate-openai-'));
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function probe(bytes: Buffer, name: string): Promise<{ duration: number; width?: number; height?: number; codec: string }> {
  const file = path.join(scratch, name);
  await writeFile(file, bytes);
  const { stdout } = await promisify(execFile)(ffprobePath(), ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string; width?: number; height?: number }[] };
  const stream = info.streams[0];
  if (stream === undefined) throw new Error(`${name}: no streams`);
  return { duration: Number(info.format.duration), width: stream.width, height: stream.height, codec: stream.codec_name };
}

describe('client.images.generate', () => {
  it('renders a local/card PNG of the asked size, returned as b64_json', async () => {
    const result = await client.images.generate({ model: 'local/card', prompt: 'Grand opening', size: '320x200', response_format: 'b64_json' });
    expect(result.created).toBeGreaterThan(0);
    expect(result.data).toHaveLength(1);
    const b64 = result.data?.[0]?.b64_json;
    expect(typeof b64).toBe('string');
    const bytes = Buffer.from(b64 ?? '', 'base64');
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 320, height: 200 });
    // The answer carries exactly what was stored (the run here hands over the bytes it wrote).
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(await harness.runtime.store.stat(sha256)).toEqual({ size: bytes.length });
  });

  it('maps an OpenAI model name to the default target and answers fetchable URLs, one per n', async () => {
    const result = await client.images.generate({ model: 'dall-e-3', prompt: 'Summer sale', n: 2, size: '256x256', response_format: 'url', output_format: 'jpeg' });
    expect(result.data).toHaveLength(2);
    const urls = (result.data ?? []).map((image) => image.url ?? '');
    expect(new Set(urls).size).toBe(2);
    for (const url of urls) {
      // Signed for an hour, like OpenAI's own image URLs: fetched here without a key.
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/assets\/ast_[^/]+\/content\?expires=\d+&signature=[\w-]{43}$/);
      const expires = Number(new URL(url).searchParams.get('expires'));
      expect(expires * 1000 - Date.now()).toBeGreaterThan(55 * 60_000);
      expect(expires * 1000 - Date.now()).toBeLessThanOrEqual(60 * 60_000);
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(meta).toMatchObject({ format: 'jpeg', width: 256, height: 256 });
    }
  });
});

describe('client.images.edit', () => {
  it('stores the uploaded image and composites it into a local/card of the asked size', async () => {
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#10c040' } }).png().toBuffer();
    const request = { model: 'gpt-image-1', prompt: 'New arrivals', size: '400x400' } as const;
    const edited = await client.images.edit({ ...request, image: await toFile(photo, 'photo.png', { type: 'image/png' }) });
    const plain = await client.images.generate(request);
    const decode = (result: OpenAI.ImagesResponse) => sharp(Buffer.from(result.data?.[0]?.b64_json ?? '', 'base64'));
    expect(await decode(edited).metadata()).toMatchObject({ format: 'png', width: 400, height: 400 });
    // The same card without the photo is far less green: the upload really is in the picture.
    const greenness = async (result: OpenAI.ImagesResponse) => {
      const [red, green] = (await decode(result).stats()).channels;
      return (green?.mean ?? 0) - (red?.mean ?? 0);
    };
    expect(await greenness(edited)).toBeGreaterThan((await greenness(plain)) + 20);
  });
});

describe('client.audio.speech.create', () => {
  it('speaks with local/tts and answers MP3 bytes by default, an OpenAI voice name mapped to espeak', async () => {
    const response = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello from Mediagate.' });
    expect(response.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = Buffer.from(await response.arrayBuffer());
    const id3 = bytes.subarray(0, 3).toString('latin1') === 'ID3';
    const frameSync = bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0;
    expect(id3 || frameSync).toBe(true);
    const info = await probe(bytes, 'speech.mp3');
    expect(info.codec).toBe('mp3');
    expect(info.duration).toBeGreaterThan(0.5);
  });

  it('answers WAV when asked, in an espeak voice named directly', async () => {
    const response = await client.audio.speech.create({ model: 'local/tts', voice: 'en-gb', input: 'Good morning.', response_format: 'wav', speed: 1.5 });
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString('latin1')).toBe('WAVE');
  });
});

describe('client.videos', () => {
  it('creates a local/motion clip, reports progress until completed and downloads the MP4', async () => {
    const created = await client.videos.create({ model: 'sora-2', prompt: 'Slow zoom in on the mountains', seconds: '4', size: '128x72' as VideoSize });
    expect(created).toMatchObject({ object: 'video', model: 'sora-2', seconds: '4', size: '128x72', error: null });
    expect(['queued', 'in_progress', 'completed']).toContain(created.status);
    expect(created.id).toMatch(/^job_/);

    let video = created;
    const deadline = Date.now() + 30_000;
    while (video.status !== 'completed' && video.status !== 'failed' && Date.now() < deadline) {
      expect(video.progress).toBeGreaterThanOrEqual(0);
      expect(video.progress).toBeLessThanOrEqual(100);
      await new Promise((resolve) => setTimeout(resolve, 100));
      video = await client.videos.retrieve(created.id);
    }
    expect(video).toMatchObject({ id: created.id, status: 'completed', progress: 100, error: null });
    expect(video.completed_at).toBeGreaterThanOrEqual(video.created_at);

    const content = await client.videos.downloadContent(created.id);
    expect(content.headers.get('content-type')).toBe('video/mp4');
    const info = await probe(Buffer.from(await content.arrayBuffer()), 'clip.mp4');
    expect(info).toMatchObject({ codec: 'h264', width: 128, height: 72 });
    expect(info.duration).toBeCloseTo(4, 0);

    const listed = await client.videos.list({ limit: 5 });
    expect(listed.data.map((item) => item.id)).toContain(created.id);
  });

  it('animates an uploaded input_reference (image-to-video)', async () => {
    const photo = await sharp({ create: { width: 160, height: 90, channels: 3, background: '#16a085' } }).png().toBuffer();
    const created = await client.videos.create({
      model: 'local/motion',
      prompt: 'pan left',
      seconds: '4',
      size: '96x64' as VideoSize,
      input_reference: await toFile(photo, 'still.png', { type: 'image/png' }),
    });
    const done = await harness.waitFor(created.id);
    expect(done.status).toBe('succeeded');
    expect(done.request.image_asset_ids).toHaveLength(1);
    const info = await probe(Buffer.from(await (await client.videos.downloadContent(created.id)).arrayBuffer()), 'still.mp4');
    expect(info).toMatchObject({ width: 96, height: 64 });
  });
});

describe('bad requests', () => {
  it('names an unknown model (BadRequestError)', async () => {
    const error = await client.images.generate({ model: 'imagemaker-9000', prompt: 'x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).status).toBe(400);
    expect((error as BadRequestError).message).toContain('imagemaker-9000');
    const unknownTarget = await client.audio.speech.create({ model: 'nowhere/voice', voice: 'alloy', input: 'x' }).catch((caught: unknown) => caught);
    expect(unknownTarget).toBeInstanceOf(BadRequestError);
    expect((unknownTarget as BadRequestError).message).toContain('nowhere');
  });

  it('refuses an invalid size, and a size out of the model range naming size', async () => {
    for (const size of ['big', '100x0', '9000x9000']) {
      const error = await client.images.generate({ model: 'local/card', prompt: 'x', size }).catch((caught: unknown) => caught);
      expect(error, size).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).error, size).toMatchObject({ field: 'size' });
    }
  });

  it('says the video content is not ready yet with a 404, as OpenAI does, and reads a missing video as 404', async () => {
    const job = await harness.submit({ kind: 'video', prompt: 'slow', model: 'simulated/video', params: { duration: 4, simulate: { latency_ms: 5000 } } });
    const early = await client.videos.downloadContent(job.id).catch((caught: unknown) => caught);
    expect(early).toBeInstanceOf(NotFoundError);
    expect((early as NotFoundError).message).toContain('not ready');
    expect((await client.videos.retrieve(job.id)).status).toMatch(/^(queued|in_progress)$/);
    const missing = await client.videos.retrieve('job_missing').catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(NotFoundError);
  });
});
