// Replicate adapter (official `replicate` client) against its fake: exact create/poll/cancel calls,
// the Cancel-After deadline and Prefer: wait, log progress, NSFW failures, problem+json errors, one
// request per failure (the client's own retries never run), and refusal of unmapped models.
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

  it('refuses models it has no input mapping for, listing the ones it has, and params a model ignores', () => {
    const replicate = adapter();
    const registry = new ProviderRegistry([replicate]);
    expect(() => registry.resolve({ provider: 'replicate', model: 'someone/some-model' })).toThrow(/replicate has: replicate\/black-forest-labs\/flux-schnell/);
    const spec = replicate.models[0];
    if (!spec) throw new Error('no models');
    expect(() => validateAgainstCapabilities('replicate', spec, image({ width: 512, height: 512 }))).toThrow(/params.width/);
    expect(cancelAfter(2000)).toBe('5s');
  });
});
