// The OpenAI-compatible routes in front of the OpenAI adapter: with MEDIAGATE_OPENAI_*_MODEL
// naming openai/* targets, what the caller asks for (quality, voice, instructions) reaches
// OpenAI as sent, instead of being refused as it is for targets that don't honor it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIProvider } from '@mediagate/providers';
import { buildTestApi, type TestApi } from '../../../apps/api/src/test-support.ts';
import { createHarness, type Harness } from '../../support/harness.ts';
import { startOpenAIFake, type OpenAIFake } from './server.ts';
import { openaiKey } from './subject.ts';

let fake: OpenAIFake;
let harness: Harness;
let api: TestApi;

beforeAll(async () => {
  fake = await startOpenAIFake({ keys: [openaiKey.secret] });
  harness = await createHarness({
    extraProviders: [createOpenAIProvider({ baseURL: fake.url, pollIntervalMs: 25 })],
    keys: { openai: [openaiKey] },
  });
  process.env.MEDIAGATE_OPENAI_IMAGE_MODEL = 'openai/gpt-image-1';
  process.env.MEDIAGATE_OPENAI_SPEECH_MODEL = 'openai/gpt-4o-mini-tts';
  api = await buildTestApi(harness.runtime);
});
afterAll(async () => {
  delete process.env.MEDIAGATE_OPENAI_IMAGE_MODEL;
  delete process.env.MEDIAGATE_OPENAI_SPEECH_MODEL;
  await api?.app.close();
  await harness?.close();
  await fake?.close();
});

const sentTo = (path: string) =>
  fake.requests.filter((request) => request.method === 'POST' && request.path === path).map((request) => JSON.parse(request.body.toString('utf8')) as Record<string, unknown>);

describe('OpenAI-compatible routes on openai/* targets', () => {
  it('passes quality through to an image model that honors it', async () => {
    const response = await api.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { model: 'gpt-image-1', prompt: 'a lighthouse at dusk', size: '1024x1024', quality: 'high' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<{ data: { b64_json: string }[] }>().data[0]?.b64_json.length).toBeGreaterThan(100);
    const [sent] = sentTo('/v1/images/generations');
    expect(sent).toMatchObject({ model: 'gpt-image-1', prompt: 'a lighthouse at dusk', size: '1024x1024', quality: 'high' });
  });

  it('passes an OpenAI voice and instructions through to an OpenAI speech model', async () => {
    const response = await api.inject({
      method: 'POST',
      url: '/v1/audio/speech',
      payload: { model: 'gpt-4o-mini-tts', input: 'Welcome back.', voice: 'coral', instructions: 'Speak warmly.' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^audio\/mpeg/);
    const [sent] = sentTo('/v1/audio/speech');
    expect(sent).toMatchObject({ model: 'gpt-4o-mini-tts', input: 'Welcome back.', voice: 'coral', instructions: 'Speak warmly.' });
  });

  it('still refuses what the target cannot honor, naming the OpenAI field', async () => {
    const response = await api.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { model: 'gpt-image-1', prompt: 'a lighthouse', quality: 'hd' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { param: string | null; message: string } }>().error.message).toMatch(/quality/);
  });
});
