// Luma adapter against its fake: exact requests for Ray video and Photon images, size ↔
// resolution/aspect ratio mapping, states, moderation failures, delete, and what is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, ProviderError } from '@mediagate/core';
import { validateAgainstCapabilities, type ProviderRequest } from '@mediagate/providers';
import { createLumaProvider } from '../../../packages/providers/src/luma/luma-provider.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import type { FakeProvider } from '../subject.ts';
import { lumaBadKey, lumaGoodKey, startLumaFake } from './server.ts';

const key = { id: 'luma-main', secret: lumaGoodKey };
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startLumaFake({ generationMs: 1600 });
});
afterAll(() => fake.close());

const adapter = () => createLumaProvider({ baseURL: `${fake.url}/dream-machine/v1`, pollIntervalMs: 20, requestTimeoutMs: 5000 });

function video(params: ProviderRequest['params'] = {}, model = 'ray-2'): ProviderRequest {
  return { kind: 'video', mode: 'text-to-video', model, prompt: 'fog over a harbor', params, images: [] };
}

function last(method: string, path: string) {
  const found = fake.requests.filter((entry) => entry.method === method && entry.path.startsWith(path)).at(-1);
  if (!found) throw new Error(`no ${method} ${path}`);
  return found;
}

describe('luma adapter', () => {
  it('posts a Ray generation with the exact body and follows queued → dreaming → completed', async () => {
    const luma = adapter();
    const ctx = callContext(key);
    const submitted = await luma.submit(video({ aspect_ratio: '9:16', duration: 9 }), ctx);
    const sent = last('POST', '/dream-machine/v1/generations');
    expect(sent.path).toBe('/dream-machine/v1/generations');
    expect(sent.headers.authorization).toBe(`Bearer ${lumaGoodKey}`);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent.body.toString())).toEqual({ model: 'ray-2', prompt: 'fog over a harbor', aspect_ratio: '9:16', resolution: '720p', duration: '9s' });
    if (submitted.status !== 'pending') throw new Error('expected a generation');
    const { pending, done } = await pollToEnd(luma, submitted.operation, ctx);
    expect(pending.map((entry) => (entry.status === 'pending' ? entry.message : '')).filter((message, index, all) => all.indexOf(message) === index)).toEqual(['queued', 'dreaming']);
    expect(done.status === 'completed' && done.outputs[0]?.type === 'url' && done.outputs[0].url).toMatch(/\.mp4$/);
    expect(last('GET', '/dream-machine/v1/generations/').headers.authorization).toBe(`Bearer ${lumaGoodKey}`);
  });

  it('maps an explicit size to resolution and aspect ratio, and refuses sizes Luma does not render', async () => {
    const luma = adapter();
    await luma.submit(video({ width: 1920, height: 1080 }, 'ray-flash-2'), callContext(key));
    expect(JSON.parse(last('POST', '/dream-machine/v1/generations').body.toString())).toEqual({
      model: 'ray-flash-2',
      prompt: 'fog over a harbor',
      aspect_ratio: '16:9',
      resolution: '1080p',
      duration: '5s',
    });
    expect(() => luma.validate?.(video({ width: 1000, height: 1000 }))).toThrow(/short side must be 540, 720, 1080 or 2160/);
    expect(() => luma.validate?.(video({ width: 1080, height: 1000 }))).toThrow(/not one of Luma's aspect ratios/);
  });

  it('posts Photon images to /generations/image and reads assets.image', async () => {
    const luma = adapter();
    const ctx = callContext(key);
    const submitted = await luma.submit({ kind: 'image', mode: 'text-to-image', model: 'photon-1', prompt: 'a teal teapot', params: { aspect_ratio: '4:3' }, images: [] }, ctx);
    expect(JSON.parse(last('POST', '/dream-machine/v1/generations/image').body.toString())).toEqual({ model: 'photon-1', prompt: 'a teal teapot', aspect_ratio: '4:3' });
    if (submitted.status !== 'pending') throw new Error('expected a generation');
    const { done } = await pollToEnd(luma, submitted.operation, ctx);
    expect(done.status === 'completed' && done.outputs[0]?.type === 'url' && done.outputs[0].url).toMatch(/\.jpg$/);
  });

  it('refuses reference images and unsupported durations with the field and allowed values', () => {
    const luma = adapter();
    const ray = luma.models.find((model) => model.id === 'ray-2');
    if (!ray) throw new Error('ray-2 missing');
    const withImage = { ...video(), mode: 'image-to-video' as const, images: [{ path: '/tmp/x.png', mime: 'image/png', width: 1, height: 1 }] };
    expect(() => validateAgainstCapabilities('luma', ray, withImage)).toThrow(/does not support image-to-video/);
    expect(() => luma.validate?.(withImage)).toThrow(/public URLs/);
    expect(() => validateAgainstCapabilities('luma', ray, video({ duration: 7 }))).toThrow(InputError);
    expect(() => validateAgainstCapabilities('luma', ray, video({ duration: 7 }))).toThrow(/allowed: 5, 9/);
  });

  it('classifies a moderation failure as content policy and a bad key as auth without leaking it', async () => {
    const luma = adapter();
    fake.fail('content_policy');
    const ctx = callContext(key);
    const submitted = await luma.submit(video(), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a generation');
    const failure = await pollToEnd(luma, submitted.operation, ctx).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).errorClass).toBe('content_policy');
    const denied = await luma.submit(video(), callContext({ id: 'bad', secret: lumaBadKey })).catch((error: unknown) => error);
    expect(denied).toMatchObject({ errorClass: 'auth', status: 401 });
    expect((denied as Error).message).toContain('Invalid API key provided');
    expect((denied as Error).message).not.toContain(lumaBadKey);
  });

  it('deletes the generation to cancel it', async () => {
    const luma = adapter();
    const ctx = callContext(key);
    const submitted = await luma.submit(video(), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a generation');
    await luma.cancel?.(submitted.operation, ctx);
    expect(last('DELETE', '/dream-machine/v1/generations/').path).toBe(`/dream-machine/v1/generations/${(submitted.operation as { id: string }).id}`);
    const gone = await luma.poll?.(submitted.operation, ctx).catch((error: unknown) => error);
    expect(gone).toMatchObject({ status: 404 });
  });
});
