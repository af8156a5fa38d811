// The OpenAI adapter against its fake: the exact URL, headers and body sent for each model and
// mode, the mapping of normalized params, the 4xx for what cannot be honored, progress, and the
// classification of OpenAI's own error bodies and rate-limit headers.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError, ProviderError, type GenerationParams, type JobKind } from '@mediagate/core';
import {
  createCloudProviders,
  createOpenAIProvider,
  modeFor,
  type CallContext,
  type ImageInput,
  type ProgressUpdate,
  type ProviderAdapter,
  type ProviderOutput,
  type ProviderRequest,
} from '@mediagate/providers';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerFailure, validateRequest } from '../adapter-checks.ts';
import type { RecordedRequest } from '../subject.ts';
import { image } from './media.ts';
import { startOpenAIFake, type OpenAIFake } from './server.ts';
import { openaiBadKey, openaiKey } from './subject.ts';

let fake: OpenAIFake;
let adapter: ProviderAdapter;
let dir: string;

beforeAll(async () => {
  fake = await startOpenAIFake({ keys: [openaiKey.secret] });
  adapter = createOpenAIProvider({ baseURL: fake.url, pollIntervalMs: 10 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'openai-test-'));
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

let sent = 0;
beforeEach(() => {
  sent = fake.requests.length;
});

function newRequests(): RecordedRequest[] {
  return fake.requests.slice(sent);
}

function ctx(key = openaiKey, progress: ProgressUpdate[] = []): CallContext {
  return { signal: new AbortController().signal, key, tmpDir: dir, progress: (update) => progress.push(update) };
}

function request(kind: JobKind, model: string, params: GenerationParams = {}, images: ImageInput[] = [], prompt = 'a red kite over the dunes'): ProviderRequest {
  return { kind, mode: modeFor(kind, images.length), model, prompt, params, images };
}

function json(recorded: RecordedRequest | undefined): unknown {
  return JSON.parse(recorded?.body.toString('utf8') ?? 'null');
}

async function bytesOf(output: ProviderOutput | undefined): Promise<Buffer> {
  if (output?.type !== 'bytes') throw new Error(`expected bytes, got ${output?.type}`);
  return Buffer.from(output.data);
}

async function referenceImage(name: string, width: number, height: number): Promise<ImageInput> {
  const file = path.join(dir, name);
  await writeFile(file, await image(width, height, 'png', 4));
  return { path: file, mime: 'image/png', width, height };
}

/** An RGBA PNG, transparent (to be edited) on its left half; `alpha: false` makes it opaque RGB. */
async function maskImage(name: string, width: number, height: number, alpha = true): Promise<ImageInput> {
  const pixels = Buffer.alloc(width * height * 4, 255);
  for (let y = 0; y < height; y++) for (let x = 0; x < width / 2; x++) pixels[(y * width + x) * 4 + 3] = 0;
  let png = sharp(pixels, { raw: { width, height, channels: 4 } });
  if (!alpha) png = png.removeAlpha();
  const file = path.join(dir, name);
  await writeFile(file, await png.png().toBuffer());
  return { path: file, mime: 'image/png', width, height };
}

function inputFailure(input: ProviderRequest): InputError {
  try {
    validateRequest(adapter, input);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('accepted');
}

/** Creates a Sora video and polls it to completion; its id. */
async function completedVideo(model: string, params: GenerationParams): Promise<string> {
  const submitted = await adapter.submit(request('video', model, params), ctx());
  if (submitted.status !== 'pending') throw new Error('expected an operation');
  for (;;) {
    const polled = await adapter.poll?.(submitted.operation, ctx());
    if (polled?.status === 'completed') return (submitted.operation as { id: string }).id;
  }
}

describe('images', () => {
  it('sends a GPT image generation with the size, quality and output format asked for', async () => {
    const input = request('image', 'gpt-image-1', { aspect_ratio: '3:2', quality: 'high', format: 'jpeg', n: 2 });
    validateRequest(adapter, input);
    const result = await adapter.submit(input, ctx());
    const [call] = newRequests();
    expect(call?.method).toBe('POST');
    expect(call?.path).toBe('/v1/images/generations');
    expect(call?.headers.authorization).toBe(`Bearer ${openaiKey.secret}`);
    expect(call?.headers['content-type']).toBe('application/json');
    expect(json(call)).toEqual({ model: 'gpt-image-1', prompt: 'a red kite over the dunes', n: 2, size: '1536x1024', quality: 'high', output_format: 'jpeg' });
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.outputs).toHaveLength(2);
    const meta = await sharp(await bytesOf(result.outputs[0])).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 1536, 1024]);
    expect(result.outputs[0]).toMatchObject({ mime: 'image/jpeg' });
  });

  it('asks DALL·E 3 for base64 and maps 7:4 to 1792x1024', async () => {
    const input = request('image', 'dall-e-3', { aspect_ratio: '7:4', quality: 'hd' });
    validateRequest(adapter, input);
    const result = await adapter.submit(input, ctx());
    expect(json(newRequests()[0])).toEqual({ model: 'dall-e-3', prompt: 'a red kite over the dunes', n: 1, size: '1792x1024', quality: 'hd', response_format: 'b64_json' });
    if (result.status !== 'completed') throw new Error('not completed');
    expect((await sharp(await bytesOf(result.outputs[0])).metadata()).width).toBe(1792);
  });

  it('gives gpt-image-2 any size on its 16-pixel grid, from an aspect ratio or explicitly', async () => {
    await adapter.submit(request('image', 'gpt-image-2', { aspect_ratio: '16:9' }), ctx());
    expect(json(newRequests()[0])).toMatchObject({ model: 'gpt-image-2', size: '1360x768' });
    const explicit = request('image', 'gpt-image-2', { width: 2048, height: 1152, format: 'webp' });
    validateRequest(adapter, explicit);
    const result = await adapter.submit(explicit, ctx());
    expect(json(newRequests()[1])).toMatchObject({ size: '2048x1152', output_format: 'webp' });
    if (result.status !== 'completed') throw new Error('not completed');
    expect(await sharp(await bytesOf(result.outputs[0])).metadata()).toMatchObject({ format: 'webp', width: 2048, height: 1152 });
  });

  it('sends reference images to /images/edits as multipart image[] files', async () => {
    const images = [await referenceImage('a.png', 64, 48), await referenceImage('b.png', 32, 32)];
    const input = request('image', 'gpt-image-1.5', { aspect_ratio: '1:1' }, images, 'put the kite on the beach');
    validateRequest(adapter, input);
    const result = await adapter.submit(input, ctx());
    const [call] = newRequests();
    expect(call?.path).toBe('/v1/images/edits');
    expect(call?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    const form = await fake.form(call as RecordedRequest);
    expect(form.get('model')).toBe('gpt-image-1.5');
    expect(form.get('prompt')).toBe('put the kite on the beach');
    expect(form.get('size')).toBe('1024x1024');
    const files = form.getAll('image[]') as File[];
    expect(files.map((file) => file.type)).toEqual(['image/png', 'image/png']);
    expect((await sharp(Buffer.from(await (files[0] as File).arrayBuffer())).metadata()).width).toBe(64);
    expect(result.status).toBe('completed');
  });

  it('sends a mask with the reference images to /images/edits as the mask file', async () => {
    const images = [await referenceImage('base.png', 64, 48), await referenceImage('extra.png', 32, 32)];
    const mask = await maskImage('mask.png', 64, 48);
    const input = { ...request('image', 'gpt-image-1', { aspect_ratio: '1:1', quality: 'low' }, images, 'a kite in the empty half'), mask };
    validateRequest(adapter, input);
    const result = await adapter.submit(input, ctx());
    const [call] = newRequests();
    expect(`${call?.method} ${call?.path}`).toBe('POST /v1/images/edits');
    const form = await fake.form(call as RecordedRequest);
    expect([...(form as unknown as Iterable<[string, FormDataEntryValue]>)].map(([name]) => name).sort()).toEqual(['image[]', 'image[]', 'mask', 'model', 'n', 'prompt', 'quality', 'size']);
    expect([form.get('model'), form.get('prompt'), form.get('n'), form.get('size'), form.get('quality')]).toEqual(['gpt-image-1', 'a kite in the empty half', '1', '1024x1024', 'low']);
    const sentMask = form.get('mask') as File;
    expect([sentMask.name, sentMask.type]).toEqual(['mask.png', 'image/png']);
    expect(Buffer.from(await sentMask.arrayBuffer()).equals(await readFile(mask.path))).toBe(true);
    expect(await sharp(Buffer.from(await sentMask.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 64, height: 48, hasAlpha: true });
    expect(result.status).toBe('completed');
  });

  it("has the fake refuse a mask as OpenAI does: without an image, not a PNG with alpha, or not the image's size", async () => {
    const base = await referenceImage('mask-base.png', 64, 48);
    const refused = async (mask: ImageInput) => providerFailure(adapter.submit({ ...request('image', 'gpt-image-1', {}, [base]), mask }, ctx()));
    expect(await refused(await maskImage('small-mask.png', 32, 32))).toMatchObject({ errorClass: 'invalid_input', status: 400, message: expect.stringMatching(/same dimensions/) });
    expect(await refused(await maskImage('opaque-mask.png', 64, 48, false))).toMatchObject({ errorClass: 'invalid_input', status: 400, message: expect.stringMatching(/alpha channel/) });
    const jpeg = path.join(dir, 'mask.jpg');
    await writeFile(jpeg, await image(64, 48, 'jpeg'));
    expect(await refused({ path: jpeg, mime: 'image/jpeg', width: 64, height: 48 })).toMatchObject({ errorClass: 'invalid_input', message: expect.stringMatching(/PNG/) });

    const mask = new Blob([await readFile((await maskImage('lone-mask.png', 64, 48)).path)], { type: 'image/png' });
    const edit = new FormData();
    edit.set('model', 'gpt-image-1');
    edit.set('prompt', 'x');
    edit.set('mask', mask, 'mask.png');
    const headers = { authorization: `Bearer ${openaiKey.secret}` };
    const noImage = await fetch(`${fake.url}/images/edits`, { method: 'POST', headers, body: edit });
    expect([noImage.status, ((await noImage.json()) as { error: { param: string } }).error.param]).toEqual([400, 'image']);
    const generation = await fetch(`${fake.url}/images/generations`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-image-1', prompt: 'x', mask: 'mask.png' }),
    });
    expect([generation.status, ((await generation.json()) as { error: { param: string } }).error.param]).toEqual([400, 'mask']);
  });

  it('refuses a mask it cannot send before anything goes out, naming mask_asset_id', async () => {
    const base = await referenceImage('check-base.png', 64, 48);
    const mask = await maskImage('check-mask.png', 64, 48);
    expect(inputFailure({ ...request('image', 'dall-e-3'), mask })).toMatchObject({ field: 'mask_asset_id', message: expect.stringMatching(/openai\/dall-e-3 takes no mask/) });
    expect(inputFailure({ ...request('image', 'gpt-image-1'), mask })).toMatchObject({ field: 'mask_asset_id', message: expect.stringMatching(/needs the image it applies to/) });
    const small = await maskImage('check-small.png', 32, 32);
    expect(inputFailure({ ...request('image', 'gpt-image-1', {}, [base]), mask: small }).message).toBe(
      'mask_asset_id: the mask is 32x32 but the first reference image is 64x48; they must match',
    );
    expect(inputFailure({ ...request('image', 'gpt-image-1', {}, [base]), mask: { ...mask, mime: 'image/webp' } })).toMatchObject({ field: 'mask_asset_id', allowed: ['image/png'] });
    const huge = path.join(dir, 'huge-mask.png');
    await writeFile(huge, Buffer.alloc(4 * 1024 * 1024));
    expect(inputFailure({ ...request('image', 'gpt-image-1', {}, [base]), mask: { ...mask, path: huge } }).message).toMatch(/mask_asset_id: the mask is 4194304 bytes; openai\/gpt-image-1 takes a mask under 4 MB/);
    expect(newRequests()).toHaveLength(0);
  });

  it('refuses what a model cannot honor, naming the field and the allowed values', () => {
    const failure = inputFailure;
    expect(failure(request('image', 'gpt-image-1', { width: 1280, height: 1280 })).message).toMatch(/1280x1280 is not supported .* allowed: 1024x1024, 1536x1024, 1024x1536/);
    expect(failure(request('image', 'gpt-image-1', { width: 1000, height: 1000 })).message).toMatch(/params.width: 1000px is out of range; allowed 1024–1536px/);
    expect(failure(request('image', 'gpt-image-1', { quality: 'hd' })).message).toMatch(/params.quality: "hd" .* allowed: auto, low, medium, high/);
    expect(failure(request('image', 'dall-e-3', { quality: 'high' })).message).toMatch(/allowed: standard, hd/);
    expect(failure(request('image', 'dall-e-3', { n: 2 })).message).toMatch(/params.n: 2 is out of range; allowed 1–1/);
    expect(failure(request('image', 'gpt-image-1', { seed: 7 })).message).toMatch(/params.seed: not supported by openai\/gpt-image-1/);
    expect(failure(request('image', 'gpt-image-1', { negative_prompt: 'blur' })).message).toMatch(/params.negative_prompt/);
    expect(failure(request('image', 'gpt-image-2', { width: 3840, height: 1024 })).message).toMatch(/between 1:3 and 3:1/);
    expect(failure(request('image', 'gpt-image-2', { width: 1000, height: 1008 })).message).toMatch(/multiple of 16/);
    expect(failure(request('image', 'dall-e-3', {}, [{ path: 'x.png', mime: 'image/png', width: 1, height: 1 }])).message).toMatch(/does not support image-to-image/);
    expect(failure(request('image', 'dall-e-3', {}, [], 'x'.repeat(4001))).message).toMatch(/prompt: 4001 characters/);
    expect(failure(request('video', 'sora-2', { width: 1024, height: 1024 })).message).toMatch(/1024x1024 is not supported by openai\/sora-2; allowed: 720x1280, 1280x720/);
    expect(failure(request('video', 'sora-2', { duration: 5 })).message).toMatch(/params.duration: 5 is not supported; allowed: 4, 8, 12/);
    expect(failure(request('speech', 'tts-1', { instructions: 'whisper' })).message).toMatch(/params.instructions: not supported by openai\/tts-1/);
    expect(failure(request('speech', 'tts-1', { voice: 'marin' })).message).toMatch(/params.voice: "marin" is not supported/);
    expect(failure(request('speech', 'gpt-4o-mini-tts', { speed: 5 })).message).toMatch(/params.speed: 5 is out of range; allowed 0.25–4/);
  });

  it('prices images from the data by quality and size', () => {
    const spec = adapter.models.find((model) => model.id === 'gpt-image-1');
    expect(spec?.estimate(request('image', 'gpt-image-1', { aspect_ratio: '3:2', quality: 'high', n: 2 }))).toEqual({
      usd: 0.5,
      basis: '2 × high 1536x1024 image × $0.25',
    });
    const dalle = adapter.models.find((model) => model.id === 'dall-e-3');
    expect(dalle?.estimate(request('image', 'dall-e-3', { quality: 'hd' })).usd).toBe(0.08);
    for (const model of adapter.models) {
      for (const price of model.pricing) expect(price).toMatchObject({ date: '2026-11-21', source: expect.stringMatching(/^https:\/\//) });
    }
  });
});

describe('speech', () => {
  it('sends voice, format, speed and instructions to /audio/speech and returns the audio', async () => {
    const input = request('speech', 'gpt-4o-mini-tts', { voice: 'coral', format: 'wav', speed: 1.25, instructions: 'warm and slow' }, [], 'Hello there.');
    validateRequest(adapter, input);
    const result = await adapter.submit(input, ctx());
    const [call] = newRequests();
    expect(call?.path).toBe('/v1/audio/speech');
    expect(json(call)).toEqual({ model: 'gpt-4o-mini-tts', input: 'Hello there.', voice: 'coral', response_format: 'wav', speed: 1.25, instructions: 'warm and slow' });
    const audio = await bytesOf(result.status === 'completed' ? result.outputs[0] : undefined);
    expect(audio.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(result.status === 'completed' && result.outputs[0]).toMatchObject({ mime: 'audio/wav' });
  });

  it('defaults to MP3 and calls a 2xx that is not audio malformed', async () => {
    const result = await adapter.submit(request('speech', 'tts-1-hd', {}, [], 'Hi.'), ctx());
    expect(json(newRequests()[0])).toEqual({ model: 'tts-1-hd', input: 'Hi.', voice: 'alloy', response_format: 'mp3' });
    const audio = await bytesOf(result.status === 'completed' ? result.outputs[0] : undefined);
    expect(audio[0] === 0x49 || audio[0] === 0xff).toBe(true);
    fake.fail('malformed');
    expect((await providerFailure(adapter.submit(request('speech', 'tts-1', {}, [], 'Hi.'), ctx()))).errorClass).toBe('malformed');
  });
});

describe('videos', () => {
  it('creates a Sora video, reports progress and hands over the content URL with the key', async () => {
    const input = request('video', 'sora-2-pro', { width: 1792, height: 1024, duration: 8 });
    validateRequest(adapter, input);
    const submitted = await adapter.submit(input, ctx());
    const [create] = newRequests();
    expect(create?.path).toBe('/v1/videos');
    // The client sends video creation as multipart form data, as the API documents.
    const form = await fake.form(create as RecordedRequest);
    expect(Object.fromEntries([...(form as unknown as Iterable<[string, FormDataEntryValue]>)])).toEqual({
      model: 'sora-2-pro',
      prompt: 'a red kite over the dunes',
      seconds: '8',
      size: '1792x1024',
    });
    if (submitted.status !== 'pending') throw new Error('expected an operation');
    const operation = submitted.operation as { id: string };
    expect(operation.id).toMatch(/^video_/);
    const progress: number[] = [];
    for (;;) {
      const polled = await adapter.poll?.(submitted.operation, ctx());
      if (polled?.status === 'completed') {
        expect(polled.outputs).toEqual([{ type: 'url', url: `${fake.url}/videos/${operation.id}/content`, headers: { authorization: `Bearer ${openaiKey.secret}` } }]);
        break;
      }
      progress.push(polled?.progress ?? -1);
    }
    expect(progress).toEqual([34, 68]);
    expect(newRequests().slice(1).map((call) => `${call.method} ${call.path}`)).toEqual([
      `GET /v1/videos/${operation.id}`,
      `GET /v1/videos/${operation.id}`,
      `GET /v1/videos/${operation.id}`,
    ]);
  });

  it('sends a first frame fitted to the output size as input_reference', async () => {
    const frame = await referenceImage('frame.png', 300, 200);
    const input = request('video', 'sora-2', { aspect_ratio: '9:16', duration: 4 }, [frame]);
    validateRequest(adapter, input);
    await adapter.submit(input, ctx());
    const [create] = newRequests();
    const form = await fake.form(create as RecordedRequest);
    expect([form.get('model'), form.get('size'), form.get('seconds')]).toEqual(['sora-2', '720x1280', '4']);
    const reference = form.get('input_reference') as File;
    expect(await sharp(Buffer.from(await reference.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 720, height: 1280 });
  });

  it('turns a moderated video into a content-policy failure', async () => {
    fake.fail('content_policy');
    const submitted = await adapter.submit(request('video', 'sora-2', {}), ctx());
    if (submitted.status !== 'pending') throw new Error('expected an operation');
    const error = await providerFailure(Promise.resolve(adapter.poll?.(submitted.operation, ctx())));
    expect(error).toMatchObject({ errorClass: 'content_policy', providerCode: 'moderation_blocked' });
  });

  it('remixes a completed video with POST /videos/{id}/remix and polls the new video like a created one', async () => {
    const sourceId = await completedVideo('sora-2', { aspect_ratio: '16:9', duration: 8 });
    sent = fake.requests.length;
    const remix = { jobId: 'job_source', provider: 'openai', model: 'sora-2', operation: { id: sourceId }, params: { aspect_ratio: '16:9', duration: 8 } };
    const input = { ...request('video', 'sora-2', { aspect_ratio: '16:9', duration: 8 }, [], 'the same pier at night'), remix };
    validateRequest(adapter, input);
    expect(adapter.models.find((model) => model.id === 'sora-2')?.estimate(input)).toEqual({ usd: 0.8, basis: '8 s × $0.1/s' });
    const submitted = await adapter.submit(input, ctx());
    const [call] = newRequests();
    expect(`${call?.method} ${call?.path}`).toBe(`POST /v1/videos/${sourceId}/remix`);
    expect(call?.headers.authorization).toBe(`Bearer ${openaiKey.secret}`);
    expect(call?.headers['content-type']).toBe('application/json');
    expect(json(call)).toEqual({ prompt: 'the same pier at night' });
    if (submitted.status !== 'pending') throw new Error('expected an operation');
    const id = (submitted.operation as { id: string }).id;
    expect(id).not.toBe(sourceId);
    let polled = await adapter.poll?.(submitted.operation, ctx());
    while (polled?.status === 'pending') polled = await adapter.poll?.(submitted.operation, ctx());
    expect(polled?.status === 'completed' && polled.outputs).toEqual([{ type: 'url', url: `${fake.url}/videos/${id}/content`, headers: { authorization: `Bearer ${openaiKey.secret}` } }]);
    const video = (await fetch(`${fake.url}/videos/${id}`, { headers: { authorization: `Bearer ${openaiKey.secret}` } }).then((response) => response.json())) as Record<string, unknown>;
    expect(video).toMatchObject({ id, status: 'completed', remixed_from_video_id: sourceId, prompt: 'the same pier at night', seconds: '8', size: '1280x720' });
    const content = await fetch(`${fake.url}/videos/${id}/content`, { headers: { authorization: `Bearer ${openaiKey.secret}` } });
    expect([content.status, content.headers.get('content-type')]).toEqual([200, 'video/mp4']);
  });

  it('has the fake answer a remix of an unknown video 404 and of an unfinished one 400', async () => {
    const remixOf = (id: string) => ({ ...request('video', 'sora-2', {}), remix: { jobId: 'job_x', provider: 'openai', model: 'sora-2', operation: { id }, params: {} } });
    expect(await providerFailure(adapter.submit(remixOf('video_missing'), ctx()))).toMatchObject({ errorClass: 'invalid_input', status: 404, providerCode: 'video_not_found' });
    const queued = await adapter.submit(request('video', 'sora-2', {}), ctx());
    if (queued.status !== 'pending') throw new Error('expected an operation');
    const unfinished = await providerFailure(adapter.submit(remixOf((queued.operation as { id: string }).id), ctx()));
    expect(unfinished).toMatchObject({ errorClass: 'invalid_input', status: 400, message: expect.stringMatching(/only completed videos can be remixed/) });
  });

  it('refuses a remix that asks for another length, size, a reference image or another model', async () => {
    const remix = { jobId: 'job_source', provider: 'openai', model: 'sora-2', operation: { id: 'video_1' }, params: { aspect_ratio: '16:9', duration: 8 } };
    const remixed = (model: string, params: GenerationParams, images: ImageInput[] = []) => ({ ...request('video', model, params, images), remix });
    expect(inputFailure(remixed('sora-2', { aspect_ratio: '16:9', duration: 4 }))).toMatchObject({ field: 'params.duration', allowed: [8] });
    expect(inputFailure(remixed('sora-2', { aspect_ratio: '9:16', duration: 8 }))).toMatchObject({ field: 'params.width', allowed: ['1280x720'] });
    expect(inputFailure(remixed('sora-2', { aspect_ratio: '16:9', duration: 8 }, [await referenceImage('remix-frame.png', 1280, 720)]))).toMatchObject({
      field: 'image_asset_ids',
    });
    expect(inputFailure(remixed('sora-2-pro', { aspect_ratio: '16:9', duration: 8 }))).toMatchObject({
      field: 'remix_of',
      allowed: ['openai/sora-2'],
      message: 'remix_of: job job_source was made by openai/sora-2; a remix runs on that model, not openai/sora-2-pro (leave model out)',
    });
    expect(newRequests()).toHaveLength(0);
  });

  it('is marked deprecated with the shutdown date', () => {
    for (const id of ['sora-2', 'sora-2-pro']) {
      expect(adapter.models.find((model) => model.id === id)?.capabilities.deprecated).toMatch(/2026-09-24/);
    }
  });
});

describe('errors', () => {
  it("classifies OpenAI's error bodies and rate-limit headers", async () => {
    const input = request('image', 'gpt-image-1');
    fake.fail('rate_limit');
    expect(await providerFailure(adapter.submit(input, ctx()))).toMatchObject({ errorClass: 'rate_limited', status: 429, retryAfterMs: 600, providerCode: 'rate_limit_exceeded' });
    fake.fail('content_policy');
    expect(await providerFailure(adapter.submit(input, ctx()))).toMatchObject({ errorClass: 'content_policy', status: 400, providerCode: 'moderation_blocked' });
    fake.fail('content_policy');
    expect(await providerFailure(adapter.submit(request('image', 'dall-e-3'), ctx()))).toMatchObject({ errorClass: 'content_policy', providerCode: 'content_policy_violation' });
    fake.fail('server_error');
    expect(await providerFailure(adapter.submit(input, ctx()))).toMatchObject({ errorClass: 'server', status: 500 });
    fake.fail('malformed');
    expect((await providerFailure(adapter.submit(input, ctx()))).errorClass).toBe('malformed');
    const refused = await providerFailure(adapter.submit(input, ctx(openaiBadKey)));
    expect(refused).toMatchObject({ errorClass: 'auth', status: 401, providerCode: 'invalid_api_key' });
    expect(refused.message).not.toContain(openaiBadKey.secret);
  });

  it('fails without a key before sending anything', async () => {
    const error = await providerFailure(adapter.submit(request('image', 'gpt-image-1'), { ...ctx(), key: undefined }));
    expect(error.errorClass).toBe('auth');
    expect(error.message).toContain('MEDIAGATE_KEYS_OPENAI');
    expect(newRequests()).toHaveLength(0);
  });

  it('tells a cancel from the attempt timing out', async () => {
    const cancel = new AbortController();
    fake.fail('hang');
    const pending = adapter.submit(request('image', 'gpt-image-1'), { ...ctx(), signal: cancel.signal });
    setTimeout(() => cancel.abort(new Error('canceled')), 50);
    expect((await providerFailure(pending)).errorClass).toBe('canceled');
    const deadline = new AbortController();
    fake.fail('hang');
    const timed = adapter.submit(request('image', 'gpt-image-1'), { ...ctx(), signal: deadline.signal });
    setTimeout(() => deadline.abort(new ProviderError('timeout', 'attempt timed out')), 50);
    expect((await providerFailure(timed)).errorClass).toBe('timeout');
  });

  it('is registered with the real API as its default base URL', () => {
    const registered = createCloudProviders().find((candidate) => candidate.id === 'openai');
    expect(registered?.models.map((model) => model.id)).toEqual([
      'gpt-image-1',
      'gpt-image-1-mini',
      'gpt-image-1.5',
      'gpt-image-2',
      'dall-e-3',
      'sora-2',
      'sora-2-pro',
      'tts-1',
      'tts-1-hd',
      'gpt-4o-mini-tts',
    ]);
  });
});
