// fal's WAN 2.2 A14B and Mochi 1 against the fal fake: the exact queue submit for each mode, length
// and size mapped to num_frames and resolution, what cannot be honored refused by field, the result
// read back as the video that was asked for, and the fake refusing input fal's schemas do not take.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderRequest } from '@mediagate/providers';
import { createFalProvider } from '../../../packages/providers/src/fal/fal-provider.ts';
import { probe, type ProbedMedia } from '../../support/cli.ts';
import { inputError, validateRequest } from '../adapter-checks.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { falGoodKey, startFalFake } from './server.ts';

const key = { id: 'fal-main', secret: falGoodKey };
let fake: FakeProvider;
let dir: string;

beforeAll(async () => {
  [fake, dir] = await Promise.all([startFalFake({ requestMs: 600 }), mkdtemp(path.join(os.tmpdir(), 'fal-video-test-'))]);
});
afterAll(() => fake.close());

const adapter = () => createFalProvider({ baseURL: fake.url, pollIntervalMs: 20, requestTimeoutMs: 5000 });

function clip(model: string, params: ProviderRequest['params'] = {}, images: ProviderRequest['images'] = []): ProviderRequest {
  return { kind: 'video', mode: images.length > 0 ? 'image-to-video' : 'text-to-video', model, prompt: 'a kite over dunes', params, images };
}

async function referenceImage(width: number, height: number): Promise<ProviderRequest['images'][number]> {
  const file = path.join(dir, `ref-${width}x${height}.png`);
  await writeFile(file, pngImage(width, height, 3));
  return { path: file, mime: 'image/png', width, height };
}

function since(count: number): RecordedRequest[] {
  return fake.requests.slice(count).filter((entry) => !entry.path.startsWith('/files/'));
}

/** Submits, polls to the end, downloads the one output and probes it, with the queue calls made. */
async function run(request: ProviderRequest): Promise<{ calls: RecordedRequest[]; requestId: string; media: ProbedMedia }> {
  const fal = adapter();
  const ctx = callContext(key);
  const before = fake.requests.length;
  const submitted = await fal.submit(request, ctx);
  if (submitted.status !== 'pending') throw new Error('expected a queued request');
  const { done } = await pollToEnd(fal, submitted.operation, ctx);
  if (done.status !== 'completed') throw new Error('expected a result');
  expect(done.outputs).toHaveLength(1);
  const [output] = done.outputs;
  if (output?.type !== 'url') throw new Error('expected the result as a URL');
  const file = path.join(dir, `${(submitted.operation as { requestId: string }).requestId}.mp4`);
  await writeFile(file, Buffer.from(await (await fetch(output.url)).arrayBuffer()));
  return { calls: since(before), requestId: (submitted.operation as { requestId: string }).requestId, media: await probe(file) };
}

const body = (request: RecordedRequest | undefined): unknown => JSON.parse(request?.body.toString() ?? '');

describe('fal WAN 2.2 A14B and Mochi 1', () => {
  it('sends WAN text to video as num_frames at 16 fps, resolution and aspect ratio, and reads back that video', async () => {
    const { calls, requestId, media } = await run(clip('wan/v2.2-a14b', { aspect_ratio: '9:16', duration: 2, seed: 7, negative_prompt: 'blur' }));
    const [submit] = calls;
    expect(submit).toMatchObject({ method: 'POST', path: '/fal-ai/wan/v2.2-a14b/text-to-video' });
    expect(submit?.headers.authorization).toBe(`Key ${falGoodKey}`);
    expect(submit?.headers['content-type']).toBe('application/json');
    expect(body(submit)).toEqual({ prompt: 'a kite over dunes', num_frames: 33, frames_per_second: 16, resolution: '720p', aspect_ratio: '9:16', seed: 7, negative_prompt: 'blur' });
    // Status and result live under the owner/app part of the endpoint id.
    expect(calls.slice(1, -1).every((entry) => entry.method === 'GET' && entry.path === `/fal-ai/wan/requests/${requestId}/status?logs=1`)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: `/fal-ai/wan/requests/${requestId}` });
    expect(media.video).toMatchObject({ codec: 'h264', width: 720, height: 1280 });
    expect(media.duration).toBeGreaterThan(1.9);
  });

  it('sends WAN image to video with the image as a data URI, the size picking 480p and the ratio', async () => {
    const image = await referenceImage(48, 32);
    const { calls, media } = await run(clip('wan/v2.2-a14b', { width: 854, height: 480, duration: 1 }, [image]));
    expect(calls[0]?.path).toBe('/fal-ai/wan/v2.2-a14b/image-to-video');
    expect(body(calls[0])).toEqual({
      prompt: 'a kite over dunes',
      num_frames: 17,
      frames_per_second: 16,
      resolution: '480p',
      image_url: `data:image/png;base64,${pngImage(48, 32, 3).toString('base64')}`,
      aspect_ratio: '16:9',
    });
    expect(media.video).toMatchObject({ width: 854, height: 480 });
  });

  it('leaves WAN image to video at aspect_ratio auto, so the video keeps the image’s shape, or crops to a given one', async () => {
    const fal = adapter();
    const image = await referenceImage(32, 64);
    const before = fake.requests.length;
    await fal.submit(clip('wan/v2.2-a14b', {}, [image]), callContext(key));
    expect(body(since(before)[0])).toMatchObject({ num_frames: 81, resolution: '720p', aspect_ratio: 'auto' });
    const cropped = clip('wan/v2.2-a14b', { aspect_ratio: '1:1' }, [image]);
    validateRequest(fal, cropped);
    const at = fake.requests.length;
    await fal.submit(cropped, callContext(key));
    expect(body(since(at)[0])).toMatchObject({ resolution: '720p', aspect_ratio: '1:1' });
  });

  it('sends Mochi only its prompt, seed and negative prompt, and reads back its 480p video', async () => {
    const { calls, requestId, media } = await run(clip('mochi-v1', { seed: 3, negative_prompt: 'shaky footage' }));
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/fal-ai/mochi-v1' });
    expect(calls[0]?.headers.authorization).toBe(`Key ${falGoodKey}`);
    expect(body(calls[0])).toEqual({ prompt: 'a kite over dunes', seed: 3, negative_prompt: 'shaky footage' });
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: `/fal-ai/mochi-v1/requests/${requestId}` });
    expect(media.video).toMatchObject({ width: 848, height: 480 });
  });

  it('prices WAN by frames ÷ 16 at the resolution’s rate and Mochi per video', () => {
    const models = adapter().models;
    const wan = models.find((model) => model.id === 'wan/v2.2-a14b');
    const mochi = models.find((model) => model.id === 'mochi-v1');
    if (!wan || !mochi) throw new Error('models missing');
    expect(wan.estimate(clip(wan.id))).toEqual({ usd: 0.405, basis: '81 frames ÷ 16 × $0.08 (720p)' });
    expect(wan.estimate(clip(wan.id, { width: 480, height: 480, duration: 10 })).usd).toBe(0.4025);
    expect(wan.pricing.map((entry) => [entry.usd, entry.basis, entry.source])).toEqual([
      [0.08, 'per_second', 'https://fal.ai/models/fal-ai/wan/v2.2-a14b/image-to-video'],
      [0.06, 'per_second', 'https://fal.ai/models/fal-ai/wan/v2.2-a14b/image-to-video'],
      [0.04, 'per_second', 'https://fal.ai/models/fal-ai/wan/v2.2-a14b/image-to-video'],
    ]);
    expect(mochi.estimate(clip(mochi.id)).usd).toBe(0.4);
  });

  it('refuses what WAN and Mochi cannot honor, naming the field and what is allowed', async () => {
    const fal = adapter();
    const wan = (params: ProviderRequest['params']) => inputError(() => validateRequest(fal, clip('wan/v2.2-a14b', params)));
    expect(wan({ duration: 11 })).toMatchObject({ field: 'params.duration', message: expect.stringMatching(/allowed: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10$/) as unknown });
    expect(wan({ duration: 2.5 }).field).toBe('params.duration');
    expect(wan({ fps: 24 }).field).toBe('params.fps');
    expect(wan({ aspect_ratio: '4:3' })).toMatchObject({ field: 'params.aspect_ratio', allowed: ['16:9', '9:16', '1:1'] });
    expect(wan({ width: 1280 }).message).toMatch(/takes width and height together/);
    expect(wan({ width: 1280, height: 600 })).toMatchObject({ field: 'params.height', allowed: [480, 580, 720] });
    expect(wan({ width: 1000, height: 720 }).message).toMatch(/1000×720 is not one of fal\/wan\/v2.2-a14b's aspect ratios \(16:9, 9:16, 1:1\)/);
    const twoImages = [await referenceImage(32, 32), await referenceImage(32, 32)];
    expect(inputError(() => validateRequest(fal, clip('wan/v2.2-a14b', {}, twoImages))).field).toBe('image');
    const mochi = (params: ProviderRequest['params'], images: ProviderRequest['images'] = []) => inputError(() => validateRequest(fal, clip('mochi-v1', params, images)));
    expect(mochi({ duration: 5 }).message).toMatch(/params.duration: not supported by fal\/mochi-v1/);
    expect(mochi({ aspect_ratio: '9:16' })).toMatchObject({ field: 'params.aspect_ratio', allowed: ['16:9'] });
    expect(mochi({}, [await referenceImage(32, 32)]).message).toMatch(/does not support image-to-video/);
  });

  it('has a fake that refuses unknown fields and values outside the schema with fal’s 422 detail', async () => {
    const post = async (endpoint: string, input: unknown) => {
      const response = await fetch(`${fake.url}/${endpoint}`, { method: 'POST', headers: { authorization: `Key ${falGoodKey}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
      return { status: response.status, detail: ((await response.json()) as { detail: { loc: string[]; type: string }[] }).detail.map((item) => `${item.loc.join('.')} ${item.type}`) };
    };
    expect(await post('fal-ai/wan/v2.2-a14b/text-to-video', { prompt: 'x', duration: 5, num_frames: 200, aspect_ratio: 'auto' })).toEqual({
      status: 422,
      detail: ['body.duration extra_forbidden', 'body.num_frames value_error', 'body.aspect_ratio value_error'],
    });
    expect(await post('fal-ai/wan/v2.2-a14b/image-to-video', { prompt: 'x', resolution: '1080p' })).toEqual({ status: 422, detail: ['body.resolution value_error', 'body.image_url value_error'] });
    expect(await post('fal-ai/mochi-v1', { prompt: 'x', aspect_ratio: '16:9', seed: 1.5 })).toEqual({ status: 422, detail: ['body.aspect_ratio extra_forbidden', 'body.seed value_error'] });
    // LTX-2's duration is a string enum: a number is refused.
    expect(await post('fal-ai/ltx-2/text-to-video/fast', { prompt: 'x', duration: 8 })).toEqual({ status: 422, detail: ['body.duration value_error'] });
  });

  it('sends LTX-2 Fast its duration as fal’s string enum', async () => {
    const { calls, media } = await run(clip('ltx-2/text-to-video/fast', { duration: 8 }));
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/fal-ai/ltx-2/text-to-video/fast' });
    expect(body(calls[0])).toEqual({ prompt: 'a kite over dunes', duration: '8', resolution: '1080p' });
    expect(media).toMatchObject({ duration: 8, video: { width: 1920, height: 1080 } });
  });
});
