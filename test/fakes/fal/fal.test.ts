// fal adapter (official @fal-ai/client) against its fake: the exact queue calls and inputs per model,
// Key auth, queue position and log progress, the safety flag and 422 refusals, no client retries,
// cancel while queued.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '@mediagate/core';
import { validateAgainstCapabilities, type ProviderRequest } from '@mediagate/providers';
import { createFalProvider, progressFromLogs } from '../../../packages/providers/src/fal/fal-provider.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import type { FakeProvider } from '../subject.ts';
import { falBadKey, falGoodKey, startFalFake } from './server.ts';

const key = { id: 'fal-main', secret: falGoodKey };
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startFalFake({ requestMs: 1200 });
});
afterAll(() => fake.close());

const adapter = () => createFalProvider({ baseURL: fake.url, pollIntervalMs: 20, requestTimeoutMs: 5000 });

function image(params: ProviderRequest['params'] = {}, model = 'flux/schnell'): ProviderRequest {
  return { kind: 'image', mode: 'text-to-image', model, prompt: 'a brass compass', params, images: [] };
}

function since(count: number) {
  return fake.requests.slice(count).filter((entry) => !entry.path.startsWith('/files/'));
}

describe('fal adapter', () => {
  it('submits to the queue with Key auth and polls status and result on the owner/app path', async () => {
    const fal = adapter();
    const ctx = callContext(key);
    const before = fake.requests.length;
    const submitted = await fal.submit(image({ aspect_ratio: '16:9', seed: 7, n: 2, format: 'png' }), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a queued request');
    const { pending, done } = await pollToEnd(fal, submitted.operation, ctx);
    const calls = since(before);
    const submit = calls[0];
    expect(submit?.method).toBe('POST');
    expect(submit?.path).toBe('/fal-ai/flux/schnell');
    expect(submit?.headers.authorization).toBe(`Key ${falGoodKey}`);
    expect(submit?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(submit?.body.toString() ?? '')).toEqual({ prompt: 'a brass compass', image_size: 'landscape_16_9', num_images: 2, seed: 7, output_format: 'png' });
    const id = (submitted.operation as { requestId: string }).requestId;
    expect(calls.slice(1, -1).every((entry) => entry.method === 'GET' && entry.path === `/fal-ai/flux/requests/${id}/status?logs=1`)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ method: 'GET', path: `/fal-ai/flux/requests/${id}` });
    expect(pending).toContainEqual({ status: 'pending', progress: 0, queuePosition: 1, message: 'queued' });
    expect(pending.some((entry) => entry.status === 'pending' && entry.message?.startsWith('Generating'))).toBe(true);
    expect(done.status === 'completed' ? done.outputs.length : 0).toBe(2);
  });

  it('maps explicit sizes and kling text/image to video inputs exactly', async () => {
    const fal = adapter();
    const before = fake.requests.length;
    await fal.submit(image({ width: 800, height: 600 }, 'flux/dev'), callContext(key));
    expect(JSON.parse(since(before)[0]?.body.toString() ?? '')).toEqual({ prompt: 'a brass compass', image_size: { width: 800, height: 600 }, num_images: 1 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fal-test-'));
    const file = path.join(dir, 'ref.png');
    await writeFile(file, pngImage(32, 32, 1));
    const at = fake.requests.length;
    await fal.submit(
      { kind: 'video', mode: 'image-to-video', model: 'kling-video/v2.1/master', prompt: 'it sways', params: { duration: 10, negative_prompt: 'blur' }, images: [{ path: file, mime: 'image/png', width: 32, height: 32 }] },
      callContext(key),
    );
    const sent = since(at)[0];
    expect(sent?.path).toBe('/fal-ai/kling-video/v2.1/master/image-to-video');
    expect(JSON.parse(sent?.body.toString() ?? '')).toEqual({
      prompt: 'it sways',
      duration: '10',
      negative_prompt: 'blur',
      image_url: `data:image/png;base64,${pngImage(32, 32, 1).toString('base64')}`,
    });
  });

  it('refuses what a model cannot honor, naming the field', () => {
    const fal = adapter();
    const spec = (id: string) => fal.models.find((model) => model.id === id);
    const pika = spec('pika/v2/turbo/text-to-video');
    const ltx = spec('ltx-2/text-to-video/fast');
    if (!pika || !ltx) throw new Error('models missing');
    const clip = (params: ProviderRequest['params'], model: string): ProviderRequest => ({ kind: 'video', mode: 'text-to-video', model, prompt: 'x', params, images: [] });
    expect(() => validateAgainstCapabilities('fal', pika, clip({ duration: 5 }, pika.id))).toThrow(/params.duration: not supported/);
    expect(() => validateAgainstCapabilities('fal', ltx, clip({ duration: 7 }, ltx.id))).toThrow(/allowed: 6, 8, 10/);
    expect(() => fal.validate?.({ ...clip({ aspect_ratio: '1:1' }, 'kling-video/v2.1/master'), mode: 'image-to-video' })).toThrow(/aspect ratio of the reference image/);
    expect(() => fal.validate?.(image({ width: 800 }))).toThrow(/width and height together/);
  });

  it('turns the safety flag and a 422 content_policy_violation into content-policy errors', async () => {
    const fal = adapter();
    fake.fail('content_policy');
    const ctx = callContext(key);
    const flagged = await fal.submit(image(), ctx);
    if (flagged.status !== 'pending') throw new Error('expected a queued request');
    await expect(pollToEnd(fal, flagged.operation, ctx)).rejects.toMatchObject({ errorClass: 'content_policy' });
    fake.fail('content_policy');
    const video = await fal.submit({ kind: 'video', mode: 'text-to-video', model: 'kling-video/v2.1/master', prompt: 'x', params: {}, images: [] }, ctx);
    if (video.status !== 'pending') throw new Error('expected a queued request');
    await expect(pollToEnd(fal, video.operation, ctx)).rejects.toMatchObject({ errorClass: 'content_policy', status: 422 });
  });

  it('leaves retries to Mediagate: one request per 429 or 5xx, classified, and a bad key is auth', async () => {
    const fal = adapter();
    for (const [fault, errorClass] of [['rate_limit', 'rate_limited'], ['server_error', 'server']] as const) {
      fake.fail(fault);
      const before = fake.requests.length;
      const failure = await fal.submit(image(), callContext(key)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect((failure as ProviderError).errorClass).toBe(errorClass);
      expect(since(before)).toHaveLength(1);
    }
    const denied = await fal.submit(image(), callContext({ id: 'bad', secret: falBadKey })).catch((error: unknown) => error);
    expect(denied).toMatchObject({ errorClass: 'auth', status: 401 });
    expect((denied as Error).message).not.toContain('revoked');
  });

  it('cancels a request still in the queue with PUT …/cancel', async () => {
    const fal = adapter();
    const ctx = callContext(key);
    const submitted = await fal.submit(image(), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a queued request');
    await fal.cancel?.(submitted.operation, ctx);
    const id = (submitted.operation as { requestId: string }).requestId;
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/fal-ai/flux/requests/${id}/cancel` });
  });

  it('reads progress from percentages or step counts in logs', () => {
    expect(progressFromLogs([{ message: 'Loading' }, { message: 'step 7/28' }])).toBe(25);
    expect(progressFromLogs([{ message: '45%|████' }])).toBe(45);
    expect(progressFromLogs([{ message: 'Loading model' }])).toBeUndefined();
  });
});
