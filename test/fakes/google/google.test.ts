// The Google Gemini API adapter against its fake: the exact requests sent for Gemini image, Veo and
// TTS, param mapping, what is refused before sending, and classification of Google's answers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GenerationParams, JobKind } from '@mediagate/core';
import { modeFor, type ImageInput, type ProviderAdapter, type ProviderRequest } from '@mediagate/providers';
import { createGoogleProvider } from '../../../packages/providers/src/google/provider.ts';
import { veoOutputs } from '../../../packages/providers/src/google/video.ts';
import { inputError, providerFailure, validateRequest } from '../adapter-checks.ts';
import { callContext, pollToEnd } from '../call-context.ts';
import { pngImage } from '../fake-http.ts';
import type { FakeProvider } from '../subject.ts';
import { googleBadKey, googleGoodKey, startGoogleFake } from './server.ts';

const key = { id: 'google-main', secret: googleGoodKey };
let fake: FakeProvider;
let adapter: ProviderAdapter;
let dir: string;
let reference: ImageInput;

beforeAll(async () => {
  fake = await startGoogleFake();
  adapter = createGoogleProvider({ baseURL: `${fake.url}/v1beta`, pollIntervalMs: 10, requestTimeoutMs: 5000 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'google-test-'));
  reference = { path: path.join(dir, 'ref.png'), mime: 'image/png', width: 64, height: 48 };
  await writeFile(reference.path, pngImage(64, 48, 3));
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function request(kind: JobKind, model: string, prompt: string, params: GenerationParams = {}, images: ImageInput[] = []): ProviderRequest {
  return { kind, mode: modeFor(kind, images.length), model, prompt, params, images };
}

async function submitOne(providerRequest: ProviderRequest) {
  validateRequest(adapter, providerRequest);
  const before = fake.requests.length;
  const result = await adapter.submit(providerRequest, callContext(key));
  return { result, sent: fake.requests.slice(before) };
}

describe('Gemini image', () => {
  it('sends generateContent with the key header, inline reference image, aspect ratio, image size and seed', async () => {
    const { result, sent } = await submitOne(
      request('image', 'gemini-3-pro-image-preview', 'the same cat, wearing a hat', { width: 2752, height: 1536, seed: 7 }, [reference]),
    );
    expect(sent).toHaveLength(1);
    const [call] = sent;
    expect(call?.method).toBe('POST');
    expect(call?.path).toBe('/v1beta/models/gemini-3-pro-image-preview:generateContent');
    expect(call?.headers['x-goog-api-key']).toBe(googleGoodKey);
    expect(call?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call?.body.toString() ?? '')).toEqual({
      contents: [
        {
          role: 'user',
          parts: [{ text: 'the same cat, wearing a hat' }, { inlineData: { mimeType: 'image/png', data: pngImage(64, 48, 3).toString('base64') } }],
        },
      ],
      generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '16:9', imageSize: '2K' }, seed: 7 },
    });
    expect(result.status).toBe('completed');
    const output = result.status === 'completed' ? result.outputs[0] : undefined;
    if (output?.type !== 'bytes') throw new Error('expected inline bytes');
    expect(output.mime).toBe('image/png');
    expect(await sharp(output.data).metadata()).toMatchObject({ format: 'png', width: 2752, height: 1536 });
  });

  it('sends no imageSize to gemini-2.5-flash-image, which renders 1K only', async () => {
    const { result, sent } = await submitOne(request('image', 'gemini-2.5-flash-image', 'a tall tower', { aspect_ratio: '9:16' }));
    expect(JSON.parse(sent[0]?.body.toString() ?? '').generationConfig).toEqual({ responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '9:16' } });
    const output = result.status === 'completed' ? result.outputs[0] : undefined;
    if (output?.type !== 'bytes') throw new Error('expected inline bytes');
    expect(await sharp(output.data).metadata()).toMatchObject({ width: 768, height: 1344 });
  });

  it('refuses before sending what the models cannot do, naming the field and the allowed values', () => {
    const notASize = inputError(() => validateRequest(adapter, request('image', 'gemini-3-pro-image-preview', 'x', { width: 1000, height: 1000 })));
    expect(notASize.field).toBe('params.width');
    expect(notASize.allowed).toContain('2048x2048');
    expect(notASize.message).toContain('aspect_ratio (1:1, 2:3');
    expect(inputError(() => validateRequest(adapter, request('image', 'gemini-2.5-flash-image', 'x', { width: 2048, height: 2048 }))).allowed).not.toContain('2048x2048');
    expect(inputError(() => validateRequest(adapter, request('image', 'gemini-2.5-flash-image', 'x', { n: 2 }))).field).toBe('params.n');
    expect(inputError(() => validateRequest(adapter, request('image', 'gemini-2.5-flash-image', 'x', { format: 'jpeg' }))).field).toBe('params.format');
    expect(inputError(() => validateRequest(adapter, request('image', 'gemini-2.5-flash-image', 'x', { negative_prompt: 'blur' }))).field).toBe('params.negative_prompt');
    expect(inputError(() => validateRequest(adapter, request('image', 'gemini-2.5-flash-image', 'x', { aspect_ratio: '8:1' }))).allowed).toContain('21:9');
    validateRequest(adapter, request('image', 'gemini-3.1-flash-image-preview', 'x', { aspect_ratio: '8:1' }));
    const four = [reference, reference, reference, reference];
    expect(inputError(() => validateRequest(adapter, request('image', 'gemini-2.5-flash-image', 'x', {}, four))).field).toBe('image');
  });

  it('prices by image size from the pricing data', () => {
    const spec = adapter.models.find((model) => model.id === 'gemini-3-pro-image-preview');
    expect(spec?.estimate(request('image', 'gemini-3-pro-image-preview', 'x', { width: 4096, height: 4096 })).usd).toBe(0.24);
    expect(spec?.estimate(request('image', 'gemini-3-pro-image-preview', 'x')).usd).toBe(0.134);
    for (const entry of spec?.pricing ?? []) expect(entry).toMatchObject({ source: 'https://ai.google.dev/gemini-api/docs/pricing', date: '2026-11-21' });
  });

  it('classifies a safety finish reason as content_policy, without retrying', async () => {
    fake.fail('content_policy');
    const error = await providerFailure(adapter.submit(request('image', 'gemini-2.5-flash-image', 'x'), callContext(key)));
    expect(error.errorClass).toBe('content_policy');
    expect(error.providerCode).toBe('IMAGE_SAFETY');
    expect(error.isRetryable).toBe(false);
  });

  it('reads the RetryInfo delay of a 429 RESOURCE_EXHAUSTED body as the wait', async () => {
    fake.fail('rate_limit');
    const error = await providerFailure(adapter.submit(request('image', 'gemini-2.5-flash-image', 'x'), callContext(key)));
    expect(error).toMatchObject({ errorClass: 'rate_limited', status: 429, retryAfterMs: 1000, providerCode: 'RESOURCE_EXHAUSTED' });
  });

  it('treats the 400 API_KEY_INVALID answer as a bad key, and never puts the key in the message', async () => {
    const error = await providerFailure(adapter.submit(request('image', 'gemini-2.5-flash-image', 'x'), callContext({ id: 'bad', secret: googleBadKey })));
    expect(error).toMatchObject({ errorClass: 'auth', status: 400, providerCode: 'API_KEY_INVALID' });
    expect(error.message).toContain('API key not valid');
    expect(error.message).not.toContain(googleBadKey);
  });

  it('classifies 503 UNAVAILABLE as server and a body of the wrong shape as malformed', async () => {
    fake.fail('server_error');
    expect((await providerFailure(adapter.submit(request('image', 'gemini-2.5-flash-image', 'x'), callContext(key)))).errorClass).toBe('server');
    fake.fail('malformed');
    expect((await providerFailure(adapter.submit(request('image', 'gemini-2.5-flash-image', 'x'), callContext(key)))).errorClass).toBe('malformed');
  });

  it('fails with auth before sending anything when no key is configured', async () => {
    const before = fake.requests.length;
    const error = await providerFailure(adapter.submit(request('image', 'gemini-2.5-flash-image', 'x'), callContext(undefined)));
    expect(error.errorClass).toBe('auth');
    expect(error.message).toContain('MEDIAGATE_KEYS_GOOGLE');
    expect(fake.requests.length).toBe(before);
  });
});

describe('Veo', () => {
  it('submits predictLongRunning with the image, then polls the operation and returns a keyed download', async () => {
    const { result, sent } = await submitOne(
      request('video', 'veo-3.1-generate-preview', 'the photo comes alive', { width: 1080, height: 1920, duration: 8, negative_prompt: 'text, watermark' }, [reference]),
    );
    expect(sent[0]?.path).toBe('/v1beta/models/veo-3.1-generate-preview:predictLongRunning');
    expect(sent[0]?.headers['x-goog-api-key']).toBe(googleGoodKey);
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({
      instances: [{ prompt: 'the photo comes alive', image: { bytesBase64Encoded: pngImage(64, 48, 3).toString('base64'), mimeType: 'image/png' } }],
      parameters: { aspectRatio: '9:16', durationSeconds: 8, resolution: '1080p', negativePrompt: 'text, watermark' },
    });
    if (result.status !== 'pending') throw new Error('expected a pending operation');
    expect(result.operation).toEqual({ name: expect.stringMatching(/^models\/veo-3\.1-generate-preview\/operations\/\w+$/) });
    const before = fake.requests.length;
    const { pending, done } = await pollToEnd(adapter, result.operation, callContext(key));
    expect(pending).toEqual([{ status: 'pending' }]);
    const polls = fake.requests.slice(before);
    expect(polls.map((poll) => `${poll.method} ${poll.path}`)).toEqual(Array(2).fill(`GET /v1beta/${(result.operation as { name: string }).name}`));
    expect(polls.every((poll) => poll.headers['x-goog-api-key'] === googleGoodKey)).toBe(true);
    const output = done.status === 'completed' ? done.outputs[0] : undefined;
    if (output?.type !== 'url') throw new Error('expected a URL output');
    expect(output.url).toMatch(new RegExp(`^${fake.url}/v1beta/files/\\w+:download\\?alt=media$`));
    expect(output.headers).toEqual({ 'x-goog-api-key': googleGoodKey });
    const download = await fetch(output.url, { headers: output.headers });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await download.arrayBuffer()).subarray(4, 8).toString('latin1')).toBe('ftyp');
  });

  it('sends aspect ratio and the default 8 s, and no resolution field to Veo 2', async () => {
    const { sent } = await submitOne(request('video', 'veo-2.0-generate-001', 'a calm lake', { width: 1280, height: 720 }));
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({ instances: [{ prompt: 'a calm lake' }], parameters: { aspectRatio: '16:9', durationSeconds: 8 } });
  });

  it('refuses sizes, durations and combinations Veo does not render', () => {
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-3.1-fast-generate-preview', 'x', { width: 1920, height: 1080, duration: 4 }))).field).toBe('params.duration');
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-3.0-generate-001', 'x', { duration: 4 }))).allowed).toEqual([8]);
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-2.0-generate-001', 'x', { width: 1920, height: 1080 }))).field).toBe('params.width');
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-2.0-generate-001', 'x', { width: 1280, height: 1280 }))).allowed).toEqual(['1280x720', '720x1280']);
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-3.0-generate-001', 'x', { aspect_ratio: '1:1' }))).field).toBe('params.aspect_ratio');
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-3.0-generate-001', 'x', { seed: 1 }))).field).toBe('params.seed');
    expect(inputError(() => validateRequest(adapter, request('video', 'veo-3.0-generate-001', 'x', {}, [reference, reference]))).field).toBe('image');
  });

  it('reports filtered videos (raiMediaFilteredReasons) as content_policy', async () => {
    fake.fail('content_policy');
    const { result } = await submitOne(request('video', 'veo-3.1-fast-generate-preview', 'x', { duration: 4 }));
    if (result.status !== 'pending') throw new Error('expected a pending operation');
    const error = await providerFailure(pollToEnd(adapter, result.operation, callContext(key)));
    expect(error).toMatchObject({ errorClass: 'content_policy', providerCode: 'RAI_MEDIA_FILTERED' });
  });

  it('refuses to poll a stored handle that is not an operation name', async () => {
    const error = await providerFailure(adapter.poll?.({ name: '../files/secret' }, callContext(key)) ?? Promise.resolve());
    expect(error.errorClass).toBe('malformed');
  });

  it('sends the key only to the API origin when downloading', () => {
    const operation = { name: 'models/veo/operations/x', done: true, response: { generateVideoResponse: { generatedSamples: [{ video: { uri: 'https://cdn.example/v.mp4' } }] } } };
    expect(veoOutputs(operation, 'https://generativelanguage.googleapis.com', { 'x-goog-api-key': 'k' })).toEqual([{ type: 'url', url: 'https://cdn.example/v.mp4' }]);
    const failed = { name: 'models/veo/operations/x', done: true, error: { code: 8, message: 'quota', status: 'RESOURCE_EXHAUSTED' } };
    expect(() => veoOutputs(failed, 'https://x', {})).toThrow(expect.objectContaining({ errorClass: 'rate_limited' }));
  });
});

describe('Gemini TTS', () => {
  it('asks for AUDIO with the prebuilt voice and wraps the 24 kHz PCM into a WAV', async () => {
    const { result, sent } = await submitOne(request('speech', 'gemini-2.5-pro-preview-tts', 'Say cheerfully: have a wonderful day!', { voice: 'Puck' }));
    expect(sent[0]?.path).toBe('/v1beta/models/gemini-2.5-pro-preview-tts:generateContent');
    expect(JSON.parse(sent[0]?.body.toString() ?? '')).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Say cheerfully: have a wonderful day!' }] }],
      generationConfig: { responseModalities: ['AUDIO'], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Puck' } } } },
    });
    const output = result.status === 'completed' ? result.outputs[0] : undefined;
    if (output?.type !== 'bytes') throw new Error('expected inline bytes');
    const wav = Buffer.from(output.data);
    expect(output.mime).toBe('audio/wav');
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.subarray(8, 16).toString('latin1')).toBe('WAVEfmt ');
    expect({ format: wav.readUInt16LE(20), channels: wav.readUInt16LE(22), rate: wav.readUInt32LE(24), bits: wav.readUInt16LE(34) }).toEqual({
      format: 1,
      channels: 1,
      rate: 24_000,
      bits: 16,
    });
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
  });

  it('uses Kore when no voice is named, and refuses voices it does not have', async () => {
    const { sent } = await submitOne(request('speech', 'gemini-2.5-flash-preview-tts', 'hello'));
    expect(JSON.parse(sent[0]?.body.toString() ?? '').generationConfig.speechConfig.voiceConfig.prebuiltVoiceConfig.voiceName).toBe('Kore');
    const error = inputError(() => validateRequest(adapter, request('speech', 'gemini-2.5-flash-preview-tts', 'hello', { voice: 'alloy' })));
    expect(error.field).toBe('params.voice');
    expect(error.allowed).toHaveLength(30);
  });

  it('classifies a blocked prompt (promptFeedback.blockReason) as content_policy', async () => {
    fake.fail('content_policy');
    const error = await providerFailure(adapter.submit(request('speech', 'gemini-2.5-flash-preview-tts', 'x'), callContext(key)));
    expect(error).toMatchObject({ errorClass: 'content_policy', providerCode: 'PROHIBITED_CONTENT' });
  });
});
