// The ElevenLabs adapter against its fake: the exact URL, `xi-api-key` header and body per model
// and format, WAV built from PCM, cost from the billed characters, and ElevenLabs' error bodies.
import { InputError, type GenerationParams } from '@mediagate/core';
import { createElevenLabsProvider, validateAgainstCapabilities, type CallContext, type ProviderKey, type ProviderRequest } from '@mediagate/providers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { providerFailure } from '../adapter-checks.ts';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { startElevenLabsFake } from './server.ts';
import { elevenlabsBadKey, elevenlabsKey } from './subject.ts';

let fake: FakeProvider;
const adapter = () => createElevenLabsProvider({ baseURL: fake.url });
let sent = 0;

beforeAll(async () => {
  fake = await startElevenLabsFake({ keys: [elevenlabsKey.secret] });
});
afterAll(() => fake.close());
beforeEach(() => {
  sent = fake.requests.length;
});

const ctx = (key: ProviderKey | null = elevenlabsKey): CallContext => ({ signal: new AbortController().signal, key: key ?? undefined, tmpDir: '/nonexistent', progress: () => {} });
const speech = (model: string, params: GenerationParams = {}, prompt = 'The quick brown fox.'): ProviderRequest => ({
  kind: 'speech',
  mode: 'text-to-speech',
  model,
  prompt,
  params,
  images: [],
});

function last(): RecordedRequest {
  const call = fake.requests.slice(sent).at(-1);
  if (!call) throw new Error('nothing sent');
  return call;
}

describe('elevenlabs adapter', () => {
  it('posts the text to the voice with model, voice settings, seed and the MP3 output format', async () => {
    const result = await adapter().submit(speech('eleven_multilingual_v2', { voice: 'EXAVITQu4vr4xnxzMZGl', speed: 0.9, seed: 42 }), ctx());
    const call = last();
    expect(`${call.method} ${call.path}`).toBe('POST /v1/text-to-speech/EXAVITQu4vr4xnxzMZGl?output_format=mp3_44100_128');
    expect(call.headers['xi-api-key']).toBe(elevenlabsKey.secret);
    expect(call.headers.authorization).toBeUndefined();
    expect(call.headers['content-type']).toBe('application/json');
    expect(JSON.parse(call.body.toString())).toEqual({ text: 'The quick brown fox.', model_id: 'eleven_multilingual_v2', voice_settings: { speed: 0.9 }, seed: 42 });
    if (result.status !== 'completed') throw new Error('not completed');
    const output = result.outputs[0];
    expect(output).toMatchObject({ type: 'bytes', mime: 'audio/mpeg' });
    // 20 characters billed at $0.10 per 1,000.
    expect(result.costUsd).toBe(0.002);
  });

  it('asks for 24 kHz PCM and wraps it as WAV, with the default voice', async () => {
    const result = await adapter().submit(speech('eleven_flash_v2_5', { format: 'wav' }), ctx());
    expect(last().path).toBe('/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb?output_format=pcm_24000');
    expect(JSON.parse(last().body.toString())).toEqual({ text: 'The quick brown fox.', model_id: 'eleven_flash_v2_5' });
    if (result.status !== 'completed' || result.outputs[0]?.type !== 'bytes') throw new Error('no bytes');
    const wav = Buffer.from(result.outputs[0].data);
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(24_000);
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  });

  it('refuses voices, speeds and lengths the models do not take', () => {
    const reject = (request: ProviderRequest) => {
      const spec = adapter().models.find((model) => model.id === request.model);
      if (!spec) throw new Error('unknown model');
      expect(() => validateAgainstCapabilities('elevenlabs', spec, request)).toThrow(InputError);
      try {
        validateAgainstCapabilities('elevenlabs', spec, request);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    expect(reject(speech('eleven_v3', { voice: 'Rachel' }))).toMatch(/params.voice: "Rachel" is not supported; allowed: JBFqnCBsd6RMkjVDRZzb/);
    expect(reject(speech('eleven_turbo_v2_5', { speed: 2 }))).toMatch(/params.speed: 2 is out of range; allowed 0.7–1.2/);
    expect(reject(speech('eleven_v3', {}, 'x'.repeat(5001)))).toMatch(/over elevenlabs\/eleven_v3's limit of 5000/);
    expect(reject(speech('eleven_multilingual_v2', { instructions: 'whisper' }))).toMatch(/params.instructions: not supported/);
  });

  it("classifies ElevenLabs' error bodies", async () => {
    const refused = await providerFailure(adapter().submit(speech('eleven_multilingual_v2'), ctx(elevenlabsBadKey)));
    expect(refused).toMatchObject({ errorClass: 'auth', status: 401, providerCode: 'invalid_api_key' });
    expect(refused.message).not.toContain(elevenlabsBadKey.secret);
    fake.fail('rate_limit');
    expect(await providerFailure(adapter().submit(speech('eleven_multilingual_v2'), ctx()))).toMatchObject({ errorClass: 'rate_limited', providerCode: 'too_many_concurrent_requests' });
    fake.fail('server_error');
    expect((await providerFailure(adapter().submit(speech('eleven_multilingual_v2'), ctx()))).errorClass).toBe('server');
    fake.fail('malformed');
    expect((await providerFailure(adapter().submit(speech('eleven_multilingual_v2'), ctx()))).errorClass).toBe('malformed');
    const missing = await providerFailure(adapter().submit(speech('eleven_multilingual_v2'), ctx(null)));
    expect(missing.errorClass).toBe('auth');
    expect(missing.message).toContain('MEDIAGATE_KEYS_ELEVENLABS');
  });
});
