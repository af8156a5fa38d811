// Replicate adapter (official `replicate` client) against its fake: exact create/poll/cancel calls,
// the Cancel-After deadline and Prefer: wait, log progress, NSFW failures, problem+json errors, one
// request per failure (the client's own retries never run), and any model by name or version with
// its inputs in provider_input (normalized params it cannot place refused).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '@mediagate/core';
import { ProviderRegistry, validateAgainstCapabilities, type ProviderRequest } from '@mediagate/providers';
import { cancelAfter, createReplicateProvider } from '../../../packages/providers/src/replicate/replicate-provider.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import type { FakeProvider } from '../subject.ts';
import { replicateBadToken, replicateGoodToken, startReplicateFake } from './server.ts';

const key = { id: 'replicate-main', secret: replicateGoodToken };
let fake: FakeProvider;

beforeAll(async () => {
  fake = await startReplicateFake({ predictionMs: 1200 });
});
afterAll(() => fake.close());

const adapter = (extra: { preferWaitSeconds?: number } = {}) =>
  createReplicateProvider({ baseURL: `${fake.url}/v1`, pollIntervalMs: 20, requestTimeoutMs: 5000, attemptTimeoutMs: 600_000, ...extra });

function image(params: ProviderRequest['params'] = {}): ProviderRequest {
  return { kind: 'image', mode: 'text-to-image', model: 'black-forest-labs/flux-schnell', prompt: 'a green teapot', params, images: [] };
}

const api = () => fake.requests.filter((entry) => !entry.path.startsWith('/files/'));

describe('replicate adapter', () => {
  it('creates a prediction by model with Bearer auth, a Cancel-After deadline and the mapped input, then polls it', async () => {
    const replicate = adapter();
    const ctx = callContext(key);
    const before = api().length;
    const submitted = await replicate.submit(image({ aspect_ratio: '3:2', n: 2, seed: 9, format: 'jpeg' }), ctx);
    const create = api()[before];
    expect(create).toMatchObject({ method: 'POST', path: '/v1/models/black-forest-labs/flux-schnell/predictions' });
    expect(create?.headers.authorization).toBe(`Bearer ${replicateGoodToken}`);
    expect(create?.headers['content-type']).toBe('application/json');
    expect(create?.headers['cancel-after']).toBe('600s');
    expect(create?.headers.prefer).toBeUndefined();
    expect(JSON.parse(create?.body.toString() ?? '')).toEqual({ input: { prompt: 'a green teapot', aspect_ratio: '3:2', num_outputs: 2, output_format: 'jpg', seed: 9 } });
    if (submitted.status !== 'pending') throw new Error('expected a prediction');
    const { pending, done } = await pollToEnd(replicate, submitted.operation, ctx);
    const id = (submitted.operation as { id: string }).id;
    expect(api().slice(before + 1).every((entry) => entry.method === 'GET' && entry.path === `/v1/predictions/${id}`)).toBe(true);
    expect(pending).toContainEqual({ status: 'pending', progress: 0, message: 'starting' });
    const progress = pending.flatMap((entry) => (entry.status === 'pending' && entry.message === 'processing' ? [entry.progress] : []));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((value) => value !== undefined && value >= 30 && value <= 100)).toBe(true);
    expect(done.status === 'completed' ? done.outputs.length : 0).toBe(2);
  });

  it('maps video params and takes a finished prediction straight from Prefer: wait', async () => {
    const replicate = adapter({ preferWaitSeconds: 5 });
    const before = api().length;
    const result = await replicate.submit(
      { kind: 'video', mode: 'text-to-video', model: 'wan-video/wan-2.7-t2v', prompt: 'rain', params: { duration: 3, aspect_ratio: '9:16', negative_prompt: 'text' }, images: [] },
      callContext(key),
    );
    const create = api()[before];
    expect(create?.headers.prefer).toBe('wait=5');
    expect(JSON.parse(create?.body.toString() ?? '')).toEqual({ input: { prompt: 'rain', aspect_ratio: '9:16', resolution: '720p', duration: 3, negative_prompt: 'text' } });
    expect(result.status).toBe('completed');
    expect(api()).toHaveLength(before + 1);
  });

  it('sends one request per failure, classified from problem+json: 429 with Retry-After, 5xx, 401, 422', async () => {
    const replicate = adapter();
    for (const [fault, errorClass] of [['rate_limit', 'rate_limited'], ['server_error', 'server']] as const) {
      fake.fail(fault);
      const before = api().length;
      const failure = await replicate.submit(image(), callContext(key)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect((failure as ProviderError).errorClass).toBe(errorClass);
      expect(api()).toHaveLength(before + 1);
    }
    fake.fail('rate_limit');
    expect(await replicate.submit(image(), callContext(key)).catch((error: unknown) => error)).toMatchObject({ retryAfterMs: 1000 });
    const denied = await replicate.submit(image(), callContext({ id: 'bad', secret: replicateBadToken })).catch((error: unknown) => error);
    expect(denied).toMatchObject({ errorClass: 'auth', status: 401 });
    expect((denied as Error).message).toContain('You did not pass a valid authentication token');
    expect((denied as Error).message).not.toContain(replicateBadToken);
    // Past Mediagate's own checks (submit alone), Replicate's 422 problem body is invalid input.
    const rejected = await replicate.submit(image({ n: 5 }), callContext(key)).catch((error: unknown) => error);
    expect(rejected).toMatchObject({ errorClass: 'invalid_input', status: 422 });
    expect((rejected as Error).message).toContain('input.num_outputs');
  });

  it('fails an NSFW prediction as a content-policy refusal', async () => {
    const replicate = adapter();
    fake.fail('content_policy');
    const ctx = callContext(key);
    const submitted = await replicate.submit(image(), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a prediction');
    await expect(pollToEnd(replicate, submitted.operation, ctx)).rejects.toMatchObject({ errorClass: 'content_policy' });
  });

  it('cancels with POST /v1/predictions/{id}/cancel', async () => {
    const replicate = adapter();
    const ctx = callContext(key);
    const submitted = await replicate.submit(image(), ctx);
    if (submitted.status !== 'pending') throw new Error('expected a prediction');
    await replicate.cancel?.(submitted.operation, ctx);
    const id = (submitted.operation as { id: string }).id;
    expect(api().at(-1)).toMatchObject({ method: 'POST', path: `/v1/predictions/${id}/cancel` });
    await expect(replicate.poll?.(submitted.operation, ctx)).rejects.toMatchObject({ errorClass: 'canceled' });
  });

  it('runs any official model by name, with provider_input merged after the prompt', async () => {
    const replicate = adapter();
    const ctx = callContext(key);
    const before = api().length;
    const request: ProviderRequest = { kind: 'video', mode: 'text-to-video', model: 'minimax/video-01', prompt: 'a paper boat', params: { provider_input: { prompt_optimizer: false } }, images: [] };
    const submitted = await replicate.submit(request, ctx);
    const create = api()[before];
    expect(create).toMatchObject({ method: 'POST', path: '/v1/models/minimax/video-01/predictions' });
    expect(create?.headers['cancel-after']).toBe('600s');
    expect(JSON.parse(create?.body.toString() ?? '')).toEqual({ input: { prompt: 'a paper boat', prompt_optimizer: false } });
    if (submitted.status !== 'pending') throw new Error('expected a prediction');
    const { done } = await pollToEnd(replicate, submitted.operation, ctx);
    expect(done.status === 'completed' && done.outputs.map((output) => output.type === 'url' && output.url.endsWith('.mp4'))).toEqual([true]);
  });

  it('runs a model version with POST /v1/predictions {version, input}, for image and speech alike', async () => {
    const replicate = adapter();
    const ctx = callContext(key);
    const sdxl = '39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b';
    let before = api().length;
    const imageRequest: ProviderRequest = {
      kind: 'image',
      mode: 'text-to-image',
      model: `stability-ai/sdxl:${sdxl}`,
      prompt: 'a lighthouse',
      params: { provider_input: { width: 768, height: 512, negative_prompt: 'blurry', refine: 'expert_ensemble_refiner' } },
      images: [],
    };
    const image = await replicate.submit(imageRequest, ctx);
    expect(api()[before]).toMatchObject({ method: 'POST', path: '/v1/predictions' });
    expect(JSON.parse(api()[before]?.body.toString() ?? '')).toEqual({
      version: sdxl,
      input: { prompt: 'a lighthouse', width: 768, height: 512, negative_prompt: 'blurry', refine: 'expert_ensemble_refiner' },
    });
    if (image.status !== 'pending') throw new Error('expected a prediction');
    expect((await pollToEnd(replicate, image.operation, ctx)).done).toMatchObject({ status: 'completed', outputs: [{ type: 'url' }] });

    // A TTS model whose text input is not `prompt`: the text goes in provider_input under its own name.
    const kokoro = 'f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13';
    before = api().length;
    const speech = await replicate.submit(
      { kind: 'speech', mode: 'text-to-speech', model: `jaaari/kokoro-82m:${kokoro}`, prompt: 'Hello there.', params: { provider_input: { text: 'Hello there.', voice: 'af_bella', speed: 1.1 } }, images: [] },
      ctx,
    );
    expect(JSON.parse(api()[before]?.body.toString() ?? '')).toEqual({ version: kokoro, input: { prompt: 'Hello there.', text: 'Hello there.', voice: 'af_bella', speed: 1.1 } });
    if (speech.status !== 'pending') throw new Error('expected a prediction');
    const { done } = await pollToEnd(replicate, speech.operation, ctx);
    expect(done.status === 'completed' && done.outputs[0]?.type === 'url' && done.outputs[0].url).toMatch(/\.wav$/);
  });

  it('resolves any well-formed name or version as the job kind, with an unknown price, and refuses what it cannot place', () => {
    const replicate = adapter();
    const registry = new ProviderRegistry([replicate]);
    const { spec } = registry.resolve({ provider: 'replicate', model: 'minimax/video-01' }, 'model', 'video');
    expect(spec.capabilities).toMatchObject({ kind: 'video', modes: ['text-to-video'], params: ['provider_input'], async: true, cancel: true });
    expect(spec.pricing).toEqual([]);
    expect(spec.estimate({ kind: 'video', mode: 'text-to-video', model: 'minimax/video-01', prompt: 'x', params: {}, images: [] })).toEqual({
      usd: null,
      basis: expect.stringMatching(/^unknown: replicate\/minimax\/video-01 is not in Mediagate's price list/) as unknown as string,
    });
    for (const bad of ['someone', 'someone/Some Model', 'a/b:1234', 'a/b/c']) {
      expect(() => registry.resolve({ provider: 'replicate', model: bad }, 'fallbacks[0]', 'image')).toThrow(/fallbacks\[0\]: .* is not a Replicate model: give replicate\/<owner>\/<name> or replicate\/<owner>\/<name>:<64-hex version>/);
    }
    const unlisted = (params: ProviderRequest['params'], images: ProviderRequest['images'] = []): ProviderRequest => ({
      kind: 'image',
      mode: images.length > 0 ? 'image-to-image' : 'text-to-image',
      model: 'someone/some-model',
      prompt: 'x',
      params,
      images,
    });
    const anySpec = registry.resolve({ provider: 'replicate', model: 'someone/some-model' }, 'model', 'image').spec;
    // Replicate drops inputs a model does not declare, so a guessed name could vanish: refused instead.
    for (const params of [{ seed: 4 }, { aspect_ratio: '16:9' }, { negative_prompt: 'text' }, { n: 2 }]) {
      expect(() => validateAgainstCapabilities('replicate', anySpec, unlisted(params))).toThrow(/^params\.\w+: not supported by replicate\/someone\/some-model; supported: provider_input$/);
    }
    expect(() => validateAgainstCapabilities('replicate', anySpec, unlisted({}, [{ path: '/tmp/x.png', mime: 'image/png', width: 1, height: 1 }]))).toThrow(/does not support image-to-image/);
    expect(() => replicate.validate?.(unlisted({ provider_input: { prompt: 'other' } }))).toThrow(/^params\.provider_input\.prompt: replicate\/someone\/some-model already gets input\.prompt from the request/);
    // Mapped models take provider_input too, for their inputs Mediagate does not set.
    expect(() => replicate.validate?.(image({ provider_input: { aspect_ratio: '1:1' } }))).toThrow(/params\.provider_input\.aspect_ratio: .*\(it sets: prompt, aspect_ratio, num_outputs, output_format\)/);
    expect(() => replicate.validate?.(image({ provider_input: { go_fast: true } }))).not.toThrow();
    const flux = replicate.models[0];
    if (!flux) throw new Error('no models');
    expect(() => validateAgainstCapabilities('replicate', flux, image({ width: 512, height: 512 }))).toThrow(/params.width/);
    expect(cancelAfter(2000)).toBe('5s');
  });

  it('answers 404 for a community model by name (those run by version)', async () => {
    const failure = await adapter()
      .submit({ kind: 'speech', mode: 'text-to-speech', model: 'jaaari/kokoro-82m', prompt: 'hi', params: {}, images: [] }, callContext(key))
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 404 });
    expect(api().at(-1)).toMatchObject({ method: 'POST', path: '/v1/models/jaaari/kokoro-82m/predictions' });
  });
});
