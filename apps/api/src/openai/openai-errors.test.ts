// What the OpenAI-compatible routes answer when a request cannot be honored or its job does not
// succeed: the status the `openai` client classifies, and a message naming the field or reason.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import OpenAI, { APIError, AuthenticationError, BadRequestError, InternalServerError, toFile } from 'openai';
import sharp from 'sharp';
import { ProviderError } from '@mediagate/core';
import { cancelJob } from '@mediagate/engine';
import { createLocalProvider, type ProviderAdapter } from '@mediagate/providers';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { installBodyParsing } from '../body-parsing.ts';
import { installErrorHandling } from '../errors.ts';
import { KeyCache } from '../auth/key-cache.ts';
import { installTenantAuth } from '../auth/tenant-auth.ts';
import { buildTestApi, sideEffects } from '../test-support.ts';
import { registerOpenAiRoutes } from './openai-routes.ts';

/** local/card's models, failing on demand: the prompt says how. */
const faulty: ProviderAdapter = {
  ...createLocalProvider(),
  id: 'faulty',
  async submit(request, ctx) {
    if (request.prompt.includes('outage')) throw new ProviderError('server', 'upstream answered 503', { status: 503 });
    if (request.prompt.includes('policy')) throw new ProviderError('content_policy', 'the prompt was refused by the safety system');
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    throw new ProviderError('canceled', 'stopped');
  },
};

let harness: Harness;
let app: FastifyInstance;
let client: OpenAI;
let origin: string;
let apiKey: string;

async function listen(server: FastifyInstance): Promise<string> {
  await server.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  harness = await createHarness({ extraProviders: [faulty], settings: { maxAttempts: 1 } });
  ({ app, apiKey } = await buildTestApi(harness.runtime, { bodyLimit: 64 * 1024, maxUploadBytes: 64 * 1024 }));
  origin = await listen(app);
  client = new OpenAI({ baseURL: `${origin}/v1`, apiKey, maxRetries: 0, timeout: 30_000 });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

async function caught(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

describe('fields no model honors', () => {
  it('are a 400 naming the field, and nothing is enqueued', async () => {
    const before = await sideEffects(harness);
    // Sent one at a time: a request made up front could fail before anything awaits it.
    const cases: [() => Promise<unknown>, string][] = [
      [() => client.images.generate({ prompt: 'x', quality: 'hd' }), 'quality'],
      [() => client.images.generate({ prompt: 'x', background: 'transparent' }), 'background'],
      [() => client.images.generate({ prompt: 'x', style: 'vivid' }), 'style'],
      [() => client.images.generate({ prompt: 'x', model: 'local/card', n: 9 }), 'n'],
      [() => client.images.generate({ prompt: 'x', output_format: 'png', output_compression: 80 }), 'output_compression'],
      [() => client.audio.speech.create({ model: 'gpt-4o-mini-tts', voice: 'coral', input: 'x', instructions: 'cheerful' }), 'instructions'],
      [() => client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x', response_format: 'opus' }), 'response_format'],
      [() => client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x', speed: 4 }), 'speed'],
      [() => client.audio.speech.create({ model: 'tts-1', voice: 'klingon', input: 'x' }), 'voice'],
      [() => client.videos.create({ prompt: 'x', seconds: '12', size: '4096x4096' as '1280x720' }), 'size'],
    ];
    for (const [request, field] of cases) {
      const error = await caught(request());
      expect(error, field).toBeInstanceOf(BadRequestError);
      expect(error.error, field).toMatchObject({ field });
      expect(error.message, field).toContain(field);
    }
    expect(await sideEffects(harness)).toEqual(before);
  });

  it('refuses a mask for a model that takes none and stores nothing for a refused edit', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } }).png().toBuffer();
    const image = await toFile(png, 'a.png', { type: 'image/png' });
    const mask = await caught(client.images.edit({ prompt: 'x', image, mask: await toFile(png, 'm.png', { type: 'image/png' }) }));
    expect(mask.error).toMatchObject({ field: 'mask' });
    expect(mask.message).toContain('local/card takes no mask');
    const notImage = await caught(client.images.edit({ prompt: 'x', image: await toFile(Buffer.from('hello'), 'notes.txt') }));
    expect(notImage.status).toBe(400);
    expect(notImage.message).toContain('notes.txt');
    const twoImages = await caught(client.images.edit({ prompt: 'x', image: [image, await toFile(png, 'b.png', { type: 'image/png' })] }));
    expect(twoImages.error).toMatchObject({ field: 'image' });
  });
});

describe('keys', () => {
  it('a missing or unknown key is the client\'s AuthenticationError, in OpenAI\'s error shape', async () => {
    for (const key of ['mg_not-issued', 'sk-proj-from-openai']) {
      const stranger = new OpenAI({ baseURL: `${origin}/v1`, apiKey: key, maxRetries: 0 });
      const error = await caught(stranger.images.generate({ model: 'local/card', prompt: 'x' }));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.status).toBe(401);
      expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
    }
    const before = await sideEffects(harness);
    const bare = await fetch(`${origin}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":"hi"}' });
    expect(bare.status).toBe(401);
    expect(((await bare.json()) as { error: { message: string } }).error.message).toMatch(/^Authorization: missing/);
    expect(await sideEffects(harness)).toEqual(before);
  });
});

describe('bodies', () => {
  it('answers 413 for an upload over the limit and 415 for an edit sent as JSON', async () => {
    const big = await toFile(Buffer.alloc(100 * 1024, 1), 'big.png', { type: 'image/png' });
    const tooLarge = await caught(client.images.edit({ prompt: 'x', image: big }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.message).toMatch(/image.*larger than the 65536-byte upload limit \(MEDIAGATE_MAX_UPLOAD_BYTES\)/);
    const json = await fetch(`${origin}/v1/images/edits`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: '{"prompt":"x"}' });
    expect(json.status).toBe(415);
    expect(((await json.json()) as { error: { message: string } }).error.message).toContain('multipart/form-data');
  });
});

describe('jobs that do not succeed', () => {
  it('answer 502 for a provider failure and 400 for a content-policy refusal', async () => {
    const outage = await caught(client.images.generate({ model: 'faulty/card', prompt: 'an outage' }));
    expect(outage).toBeInstanceOf(APIError);
    expect(outage.status).toBe(502);
    expect(outage.message).toContain('upstream answered 503');
    const policy = await caught(client.images.generate({ model: 'faulty/card', prompt: 'against policy' }));
    expect(policy).toBeInstanceOf(BadRequestError);
    expect(policy.error).toMatchObject({ code: 'content_policy' });
  });

  it('answers 504 when the job outlasts the wait, naming the job that goes on', async () => {
    const bare = Fastify();
    installErrorHandling(bare);
    installBodyParsing(bare);
    installTenantAuth(bare, new KeyCache(harness.runtime.repo));
    registerOpenAiRoutes(bare, harness.runtime, { waitTimeoutMs: 300 });
    try {
      const impatient = new OpenAI({ baseURL: `${await listen(bare)}/v1`, apiKey, maxRetries: 0 });
      const error = await caught(impatient.images.generate({ model: 'faulty/card', prompt: 'slow' }));
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error.status).toBe(504);
      const jobId = /job_\w+/.exec(error.message)?.[0] ?? '';
      expect((await harness.runtime.repo.getJob(jobId))?.status).toMatch(/^(queued|running)$/);
      await cancelJob(harness.runtime, jobId);
      expect((await harness.waitFor(jobId)).status).toBe('canceled');
    } finally {
      await bare.close();
    }
  });
});
