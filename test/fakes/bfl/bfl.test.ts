// The Black Forest Labs adapter against its fake: the exact submit per model family, polling at the
// returned polling_url with progress, the moderation statuses, error bodies, and where the key may go.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationParams } from '@mediagate/core';
import { modeFor, type ImageInput, type ProviderAdapter, type ProviderRequest } from '@mediagate/providers';
import { createBflProvider } from '../../../packages/providers/src/bfl/provider.ts';
import { inputError, providerFailure, validateRequest } from '../adapter-checks.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import type { FakeProvider } from '../subject.ts';
import { bflBadKey, bflBrokeKey, bflGoodKey, startBflFake } from './server.ts';

const key = { id: 'bfl-main', secret: bflGoodKey };
let fake: FakeProvider;
let adapter: ProviderAdapter;
let dir: string;
let reference: ImageInput;

beforeAll(async () => {
  fake = await startBflFake({ pendingPolls: 2 });
  adapter = createBflProvider({ baseURL: fake.url, pollIntervalMs: 10, requestTimeoutMs: 5000 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'bfl-test-'));
  reference = { path: path.join(dir, 'ref.png'), mime: 'image/png', width: 64, height: 64 };
  await writeFile(reference.path, pngImage(64, 64, 5));
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function request(model: string, prompt: string, params: GenerationParams = {}, images: ImageInput[] = []): ProviderRequest {
  return { kind: 'image', mode: modeFor('image', images.length), model, prompt, params, images };
}

async function submitOne(providerRequest: ProviderRequest, withAdapter = adapter) {
  validateRequest(adapter, providerRequest);
  const before = fake.requests.length;
  const result = await withAdapter.submit(providerRequest, callContext(key));
  if (result.status !== 'pending') throw new Error('expected a pending task');
  return { operation: result.operation, sent: fake.requests.slice(before) };
}

describe('BFL requests', () => {
  it('submits flux-pro-1.1 with x-key and width/height from the aspect ratio, then polls the polling_url', async () => {
    const { operation, sent } = await submitOne(request('flux-pro-1.1', 'a red fox in autumn', { aspect_ratio: '16:9', seed: 11 }));
    expect(sent).toHaveLength(1);
    expect(`${sent[0]?.method} ${sent[0]?.path}`).toBe('POST /v1/flux-pro-1.1');
    expect(sent[0]?.headers['x-key']).toBe(bflGoodKey);
    expect(sent[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({ prompt: 'a red fox in autumn', width: 1344, height: 768, seed: 11, output_format: 'jpeg' });
    const id = (operation as { id: string }).id;
    expect(operation).toEqual({ id, pollingUrl: `${fake.url}/v1/get_result?id=${id}` });

    const before = fake.requests.length;
    const ctx = callContext(key);
    const { pending, done } = await pollToEnd(adapter, operation, ctx);
    expect(pending).toEqual([
      { status: 'pending', progress: 40 },
      { status: 'pending', progress: 80 },
    ]);
    const polls = fake.requests.slice(before);
    expect(polls.map((poll) => `${poll.method} ${poll.path}`)).toEqual(Array(3).fill(`GET /v1/get_result?id=${id}`));
    expect(polls.every((poll) => poll.headers['x-key'] === bflGoodKey)).toBe(true);
    const output = done.status === 'completed' ? done.outputs[0] : undefined;
    if (output?.type !== 'url') throw new Error('expected a URL output');
    // The signed sample URL carries its own authorization: no key goes with the download.
    expect(output.headers).toBeUndefined();
    const image = await fetch(output.url);
    expect(image.status).toBe(200);
    expect(await sharp(Buffer.from(await image.arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 1344, height: 768 });
  });

  it('sends explicit sizes, the format, and the deployment-wide safety tolerance and prompt upsampling', async () => {
    const tuned = createBflProvider({ baseURL: fake.url, safetyTolerance: 4, promptUpsampling: true });
    const { sent } = await submitOne(request('flux-dev', 'x', { width: 512, height: 1440, format: 'png' }), tuned);
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({ prompt: 'x', width: 512, height: 1440, output_format: 'png', safety_tolerance: 4, prompt_upsampling: true });
  });

  it('sends kontext reference images as base64 input_image, input_image_2…, and aspect_ratio as given', async () => {
    const { sent } = await submitOne(request('flux-kontext-pro', 'put them side by side', { aspect_ratio: '21:9' }, [reference, reference]));
    const data = pngImage(64, 64, 5).toString('base64');
    expect(sent[0]?.path).toBe('/v1/flux-kontext-pro');
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({ prompt: 'put them side by side', aspect_ratio: '21:9', output_format: 'jpeg', input_image: data, input_image_2: data });
  });

  it('sends ultra its image prompt, and leaves aspect_ratio to the model when none is asked for', async () => {
    const { sent } = await submitOne(request('flux-pro-1.1-ultra', 'x', {}, [reference]));
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({ prompt: 'x', output_format: 'jpeg', image_prompt: pngImage(64, 64, 5).toString('base64') });
  });

  it('refuses before sending what the endpoints reject', () => {
    expect(inputError(() => validateRequest(adapter, request('flux-pro-1.1', 'x', { width: 1000, height: 1024 }))).message).toContain('multiple of 32');
    expect(inputError(() => validateRequest(adapter, request('flux-pro-1.1', 'x', { width: 2048, height: 1024 }))).allowed).toEqual([256, 1440]);
    expect(inputError(() => validateRequest(adapter, request('flux-pro-1.1', 'x', { width: 1024 }))).field).toBe('params.height');
    expect(inputError(() => validateRequest(adapter, request('flux-kontext-max', 'x', { width: 1024, height: 1024 }))).field).toBe('params.width');
    expect(inputError(() => validateRequest(adapter, request('flux-pro-1.1', 'x', {}, [reference]))).field).toBe('image');
    expect(inputError(() => validateRequest(adapter, request('flux-kontext-pro', 'x', {}, [reference, reference, reference, reference, reference]))).field).toBe('image');
    expect(inputError(() => validateRequest(adapter, request('flux-pro-1.1', 'x', { format: 'webp' }))).allowed).toEqual(['jpeg', 'png']);
    expect(inputError(() => validateRequest(adapter, request('flux-pro-1.1', 'x', { negative_prompt: 'blur' }))).field).toBe('params.negative_prompt');
  });

  it('prices per image with source and date', () => {
    const max = adapter.models.find((model) => model.id === 'flux-kontext-max');
    expect(max?.estimate(request('flux-kontext-max', 'x')).usd).toBe(0.08);
    expect(max?.pricing[0]).toMatchObject({ source: 'https://bfl.ai/pricing', date: '2026-11-21' });
  });
});

describe('BFL answers', () => {
  it('fails a Content Moderated task as content_policy', async () => {
    fake.fail('content_policy');
    const { operation } = await submitOne(request('flux-pro-1.1', 'x'));
    expect(await providerFailure(pollToEnd(adapter, operation, callContext(key)))).toMatchObject({ errorClass: 'content_policy', providerCode: 'Content_Moderated' });
  });

  it('treats Task not found as a server failure and an undocumented status as malformed', async () => {
    const gone = { id: 'nope', pollingUrl: `${fake.url}/v1/get_result?id=nope` };
    expect(await providerFailure(adapter.poll?.(gone, callContext(key)) ?? Promise.resolve())).toMatchObject({ errorClass: 'server', providerCode: 'Task_not_found' });
    const odd: typeof fetch = async () => new Response(JSON.stringify({ id: 'x', status: 'Sleeping' }), { status: 200 });
    const strange = createBflProvider({ baseURL: fake.url, fetch: odd });
    expect((await providerFailure(strange.poll?.(gone, callContext(key)) ?? Promise.resolve())).errorClass).toBe('malformed');
  });

  it('classifies 403 bad key, 402 no credits, 429 too many tasks, 500 and a submit without polling_url', async () => {
    expect(await providerFailure(adapter.submit(request('flux-pro-1.1', 'x'), callContext({ id: 'bad', secret: bflBadKey })))).toMatchObject({ errorClass: 'auth', status: 403 });
    expect(await providerFailure(adapter.submit(request('flux-pro-1.1', 'x'), callContext({ id: 'broke', secret: bflBrokeKey })))).toMatchObject({ errorClass: 'auth', status: 402 });
    fake.fail('rate_limit');
    expect(await providerFailure(adapter.submit(request('flux-pro-1.1', 'x'), callContext(key)))).toMatchObject({ errorClass: 'rate_limited', status: 429 });
    fake.fail('server_error');
    expect((await providerFailure(adapter.submit(request('flux-pro-1.1', 'x'), callContext(key)))).errorClass).toBe('server');
    fake.fail('malformed');
    expect((await providerFailure(adapter.submit(request('flux-pro-1.1', 'x'), callContext(key)))).errorClass).toBe('malformed');
  });

  it('never sends the key to a polling_url outside BFL and the configured base', async () => {
    const before = fake.requests.length;
    const elsewhere = { id: 'x', pollingUrl: 'https://collector.example/v1/get_result?id=x' };
    const error = await providerFailure(adapter.poll?.(elsewhere, callContext(key)) ?? Promise.resolve());
    expect(error.errorClass).toBe('malformed');
    expect(error.message).not.toContain(bflGoodKey);
    expect(fake.requests.length).toBe(before);
  });
});
