// The Stability AI adapter against its fake: the exact multipart request per model and mode,
// what is refused before sending, and classification of finish reasons and error bodies.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationParams } from '@mediagate/core';
import { modeFor, type ImageInput, type ProviderAdapter, type ProviderRequest } from '@mediagate/providers';
import { createStabilityProvider } from '../../../packages/providers/src/stability/provider.ts';
import { inputError, providerFailure, validateRequest } from '../adapter-checks.ts';
import { callContext } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { moderatedWord, stabilityBadKey, stabilityGoodKey, startStabilityFake } from './server.ts';

const key = { id: 'stability-main', secret: stabilityGoodKey };
let fake: FakeProvider;
let adapter: ProviderAdapter;
let dir: string;
let reference: ImageInput;

beforeAll(async () => {
  fake = await startStabilityFake();
  adapter = createStabilityProvider({ baseURL: fake.url, requestTimeoutMs: 5000 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'stability-test-'));
  reference = { path: path.join(dir, 'ref.png'), mime: 'image/png', width: 320, height: 192 };
  await writeFile(reference.path, pngImage(320, 192, 2));
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function request(model: string, prompt: string, params: GenerationParams = {}, images: ImageInput[] = []): ProviderRequest {
  return { kind: 'image', mode: modeFor('image', images.length), model, prompt, params, images };
}

async function submitOne(providerRequest: ProviderRequest) {
  validateRequest(adapter, providerRequest);
  const before = fake.requests.length;
  const result = await adapter.submit(providerRequest, callContext(key));
  const sent = fake.requests.slice(before);
  const output = result.status === 'completed' ? result.outputs[0] : undefined;
  if (output?.type !== 'bytes') throw new Error('expected image bytes');
  return { output, sent };
}

/** The multipart fields as the server reads them: strings, and files as {file: type, size}. */
async function fields(recorded: RecordedRequest | undefined): Promise<Record<string, unknown>> {
  if (!recorded) throw new Error('nothing sent');
  const form = await new Request('http://x/', { method: 'POST', headers: { 'content-type': recorded.headers['content-type'] ?? '' }, body: new Uint8Array(recorded.body) }).formData();
  const result: Record<string, unknown> = {};
  form.forEach((value, name) => {
    result[name] = typeof value === 'string' ? value : { file: value.type, size: value.size };
  });
  return result;
}

describe('Stability requests', () => {
  it('posts multipart to generate/core with Bearer auth, accept image/* and the mapped fields', async () => {
    const { output, sent } = await submitOne(request('core', 'a lighthouse at dusk', { aspect_ratio: '16:9', seed: 42, negative_prompt: 'fog', format: 'webp' }));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.path).toBe('/v2beta/stable-image/generate/core');
    expect(sent[0]?.headers.authorization).toBe(`Bearer ${stabilityGoodKey}`);
    expect(sent[0]?.headers.accept).toBe('image/*');
    expect(sent[0]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(await fields(sent[0])).toEqual({ prompt: 'a lighthouse at dusk', negative_prompt: 'fog', aspect_ratio: '16:9', seed: '42', output_format: 'webp' });
    expect(output.mime).toBe('image/webp');
    expect(await sharp(output.data).metadata()).toMatchObject({ format: 'webp', width: 1344, height: 768 });
  });

  it('sends sd3 image-to-image with the model, mode, image file and strength', async () => {
    const { output, sent } = await submitOne(request('sd3.5-large', 'as a watercolor', {}, [reference]));
    expect(sent[0]?.path).toBe('/v2beta/stable-image/generate/sd3');
    expect(await fields(sent[0])).toEqual({
      prompt: 'as a watercolor',
      output_format: 'png',
      model: 'sd3.5-large',
      mode: 'image-to-image',
      image: { file: 'image/png', size: pngImage(320, 192, 2).length },
      strength: '0.6',
    });
    expect(await sharp(output.data).metadata()).toMatchObject({ format: 'png', width: 320, height: 192 });
  });

  it('sends sd3 text-to-image with mode text-to-image, and ultra with no model field', async () => {
    const sd3 = await submitOne(request('sd3.5-flash', 'a fox', { aspect_ratio: '9:21', format: 'jpeg' }));
    expect(await fields(sd3.sent[0])).toEqual({ prompt: 'a fox', aspect_ratio: '9:21', output_format: 'jpeg', model: 'sd3.5-flash', mode: 'text-to-image' });
    expect(await sharp(sd3.output.data).metadata()).toMatchObject({ format: 'jpeg', width: 640, height: 1536 });
    const ultra = await submitOne(request('ultra', 'a fox', {}, [reference]));
    expect(ultra.sent[0]?.path).toBe('/v2beta/stable-image/generate/ultra');
    expect(Object.keys(await fields(ultra.sent[0]))).toEqual(['prompt', 'output_format', 'image', 'strength']);
  });

  it('refuses before sending what a model cannot do, naming the field', () => {
    expect(inputError(() => validateRequest(adapter, request('core', 'x', {}, [reference]))).field).toBe('image');
    expect(inputError(() => validateRequest(adapter, request('sd3.5-large-turbo', 'x', { negative_prompt: 'fog' }))).field).toBe('params.negative_prompt');
    expect(inputError(() => validateRequest(adapter, request('sd3.5-medium', 'x', { format: 'webp' }))).allowed).toEqual(['png', 'jpeg']);
    expect(inputError(() => validateRequest(adapter, request('ultra', 'x', { width: 1024, height: 1024 }))).field).toBe('params.width');
    expect(inputError(() => validateRequest(adapter, request('ultra', 'x', { aspect_ratio: '4:3' }))).allowed).toContain('21:9');
    expect(inputError(() => validateRequest(adapter, request('ultra', 'x', { aspect_ratio: '1:1' }, [reference]))).field).toBe('params.aspect_ratio');
    expect(inputError(() => validateRequest(adapter, request('ultra', 'x', { seed: 4294967295 }))).field).toBe('params.seed');
    expect(inputError(() => validateRequest(adapter, request('ultra', 'x', { n: 2 }))).field).toBe('params.n');
  });

  it('prices from credits, with source and date', () => {
    const ultra = adapter.models.find((model) => model.id === 'ultra');
    expect(ultra?.estimate(request('ultra', 'x')).usd).toBe(0.08);
    expect(ultra?.pricing[0]).toMatchObject({ basis: 'per_image', usd: 0.08, source: 'https://platform.stability.ai/pricing', date: '2026-11-21' });
  });
});

describe('Stability answers', () => {
  it('treats finish-reason CONTENT_FILTERED as content_policy', async () => {
    fake.fail('content_policy');
    const error = await providerFailure(adapter.submit(request('core', 'x'), callContext(key)));
    expect(error).toMatchObject({ errorClass: 'content_policy', providerCode: 'CONTENT_FILTERED', status: 200 });
  });

  it('treats the 403 content_moderation body as content_policy, not a bad key', async () => {
    const error = await providerFailure(adapter.submit(request('core', `a ${moderatedWord}`), callContext(key)));
    expect(error).toMatchObject({ errorClass: 'content_policy', status: 403, providerCode: 'content_moderation' });
    expect(error.message).toContain('flagged by our content moderation system');
  });

  it('classifies 401, 429 with its wait, 500 and a non-image 200', async () => {
    expect(await providerFailure(adapter.submit(request('core', 'x'), callContext({ id: 'bad', secret: stabilityBadKey })))).toMatchObject({ errorClass: 'auth', status: 401, providerCode: 'unauthorized' });
    fake.fail('rate_limit');
    expect(await providerFailure(adapter.submit(request('core', 'x'), callContext(key)))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 1000, providerCode: 'rate_limit_exceeded' });
    fake.fail('server_error');
    expect((await providerFailure(adapter.submit(request('core', 'x'), callContext(key)))).errorClass).toBe('server');
    fake.fail('malformed');
    expect((await providerFailure(adapter.submit(request('core', 'x'), callContext(key)))).errorClass).toBe('malformed');
  });

  it('waits the documented 60 s after a 429 that names no wait', async () => {
    const noHeader: typeof fetch = async () => new Response(JSON.stringify({ id: 'x', name: 'rate_limit_exceeded', errors: ['slow down'] }), { status: 429 });
    const bare = createStabilityProvider({ baseURL: fake.url, fetch: noHeader });
    expect(await providerFailure(bare.submit(request('core', 'x'), callContext(key)))).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 60_000 });
  });
});
