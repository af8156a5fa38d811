// Luma adapter against its fake: exact requests for Ray video (with keyframes from reference images'
// links) and Photon images, size ↔ resolution/aspect ratio mapping, states, moderation failures,
// delete, and what is refused.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, ProviderError } from '@mediagate/core';
import { validateAgainstCapabilities, type ImageInput, type ProviderRequest } from '@mediagate/providers';
import { createLumaProvider } from '../../../packages/providers/src/luma/luma-provider.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import { lumaBadKey, lumaGoodKey, startLumaFake, type LumaFake } from './server.ts';

const key = { id: 'luma-main', secret: lumaGoodKey };
let fake: LumaFake;
/** Stands in for Mediagate's signed links: /first.png and /last.png are images, anything else 403. */
let images: Server;
let imagesUrl = '';
const first = pngImage(64, 48, 1);
const lastFrame = pngImage(64, 48, 2);

beforeAll(async () => {
  fake = await startLumaFake({ generationMs: 1600 });
  images = createServer((request, response) => {
    const body = request.url?.startsWith('/first.png') ? first : request.url?.startsWith('/last.png') ? lastFrame : undefined;
    if (body === undefined) return response.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"link_expired"}}');
    response.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => images.listen(0, '127.0.0.1', resolve));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fake.close();
  await new Promise((resolve) => images.close(resolve));
});

function reference(url: string | undefined): ImageInput {
  return { path: '/tmp/unused.png', mime: 'image/png', width: 64, height: 48, ...(url ? { url } : {}) };
}

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

  it('sends reference images as keyframes by their links: frame0 opens the video, frame1 closes it', async () => {
    const luma = adapter();
    const ctx = callContext(key);
    const fetchedBefore = fake.keyframes.length;
    const links = [`${imagesUrl}/first.png?expires=1&signature=a`, `${imagesUrl}/last.png?expires=1&signature=b`];
    const submitted = await luma.submit({ ...video({ aspect_ratio: '4:3' }), mode: 'image-to-video', images: links.map(reference) }, ctx);
    expect(JSON.parse(last('POST', '/dream-machine/v1/generations').body.toString())).toEqual({
      model: 'ray-2',
      prompt: 'fog over a harbor',
      aspect_ratio: '4:3',
      resolution: '720p',
      duration: '5s',
      keyframes: { frame0: { type: 'image', url: links[0] }, frame1: { type: 'image', url: links[1] } },
    });
    // The fake fetched both links as Luma would, and got the images' own bytes.
    expect(fake.keyframes.slice(fetchedBefore).map(({ frame, url, status, contentType }) => ({ frame, url, status, contentType }))).toEqual([
      { frame: 'frame0', url: links[0], status: 200, contentType: 'image/png' },
      { frame: 'frame1', url: links[1], status: 200, contentType: 'image/png' },
    ]);
    expect(fake.keyframes.at(-2)?.bytes.equals(first)).toBe(true);
    expect(fake.keyframes.at(-1)?.bytes.equals(lastFrame)).toBe(true);
    if (submitted.status !== 'pending') throw new Error('expected a generation');
    const { done } = await pollToEnd(luma, submitted.operation, ctx);
    expect(done.status).toBe('completed');
  });

  it('fails a keyframe link Luma cannot read as invalid input, naming the frame', async () => {
    const failure = await adapter()
      .submit({ ...video(), mode: 'image-to-video', images: [reference(`${imagesUrl}/gone.png?expires=1&signature=c`)] }, callContext(key))
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ errorClass: 'invalid_input', status: 400 });
    expect((failure as Error).message).toContain('keyframes.frame0.url: fetching the image answered 403');
  });

  it('the fake refuses keyframes that are not {type: "image", url: http(s)}', async () => {
    const post = (keyframes: unknown) =>
      fetch(`${fake.url}/dream-machine/v1/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${lumaGoodKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'ray-2', prompt: 'x', resolution: '720p', duration: '5s', keyframes }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { detail: string } }));
    expect(await post({ frame0: { type: 'picture', url: `${imagesUrl}/first.png` } })).toEqual({ status: 400, body: { detail: 'keyframes.frame0.type: must be "image" (or "generation")' } });
    expect(await post({ frame0: { type: 'image', url: 'file:///etc/passwd' } })).toEqual({ status: 400, body: { detail: 'keyframes.frame0.url: must be an http(s) URL' } });
    expect(await post({ frame2: { type: 'image', url: `${imagesUrl}/first.png` } })).toEqual({ status: 400, body: { detail: 'keyframes.frame2: extra fields not permitted' } });
  });

  it('takes up to two reference images only with links, and refuses unsupported durations with the allowed values', async () => {
    const luma = adapter();
    const ray = luma.models.find((model) => model.id === 'ray-2');
    const photon = luma.models.find((model) => model.id === 'photon-1');
    if (!ray || !photon) throw new Error('ray-2 or photon-1 missing');
    expect(ray.capabilities).toMatchObject({ modes: ['text-to-video', 'image-to-video'], referenceImageUrls: true, video: { maxReferenceImages: 2 } });
    const withImages = (count: number, url?: string) => ({ ...video(), mode: 'image-to-video' as const, images: Array.from({ length: count }, () => reference(url)) });
    // Checked before any link exists (at submit); the link itself is the worker's.
    expect(() => validateAgainstCapabilities('luma', ray, withImages(2))).not.toThrow();
    expect(() => luma.validate?.(withImages(2))).not.toThrow();
    expect(() => validateAgainstCapabilities('luma', ray, withImages(3, 'https://x.example/a.png'))).toThrow(/at most 2 reference images, got 3/);
    expect(() => validateAgainstCapabilities('luma', photon, { kind: 'image', mode: 'image-to-image', model: 'photon-1', prompt: 'x', params: {}, images: [reference('https://x.example/a.png')] })).toThrow(
      /does not support image-to-image/,
    );
    // A worker without MEDIAGATE_PUBLIC_URL (the API checks it at submit) fails the attempt as invalid input.
    const unlinked = await luma.submit(withImages(1), callContext(key)).catch((error: unknown) => error);
    expect(unlinked).toMatchObject({ errorClass: 'invalid_input' });
    expect((unlinked as Error).message).toContain('set MEDIAGATE_PUBLIC_URL (on the workers too)');
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
