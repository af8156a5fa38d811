// The ElevenLabs adapter: text-to-speech through the shared HTTP helper (`xi-api-key`, the
// output format as a query parameter), MP3 as answered or 24 kHz PCM wrapped as WAV.
import { ProviderError, formatMime } from '@mediagate/core';
import type { CallContext, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { requestBytes } from '../http/request.ts';
import { requireKey } from '../http/require-key.ts';
import { defaultVoice, elevenlabsModels, pricePer1k } from './models.ts';

export interface ElevenLabsProviderOptions {
  /** Default https://api.elevenlabs.io. */
  baseURL?: string;
  /** Upper bound for one attempt (default 2 minutes). */
  attemptTimeoutMs?: number;
  /** Accepted for the registry's uniform options; speech is synchronous. */
  pollIntervalMs?: number;
  defaultConcurrency?: number;
  fetch?: typeof fetch;
}

export const elevenlabsBaseURL = 'https://api.elevenlabs.io';
const pcmRate = 24_000;

/** The documented output_format for a Mediagate format: WAV is built from raw PCM (all tiers have pcm_24000). */
export function outputFormat(format: 'mp3' | 'wav'): string {
  return format === 'wav' ? `pcm_${pcmRate}` : 'mp3_44100_128';
}

export function speechBody(request: ProviderRequest): Record<string, unknown> {
  const { params } = request;
  return {
    text: request.prompt,
    model_id: request.model,
    ...(params.speed === undefined ? {} : { voice_settings: { speed: params.speed } }),
    ...(params.seed === undefined ? {} : { seed: params.seed }),
  };
}

/** A 44-byte RIFF header in front of 16-bit mono PCM. */
export function wavFromPcm(pcm: Uint8Array, sampleRate = pcmRate): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.byteLength, 40);
  return Buffer.concat([header, pcm]);
}

function isMp3(data: Uint8Array): boolean {
  const [a = 0, b = 0, c = 0] = data;
  return (a === 0x49 && b === 0x44 && c === 0x33) || (a === 0xff && (b & 0xe0) === 0xe0);
}

export function createElevenLabsProvider(options: ElevenLabsProviderOptions = {}): ProviderAdapter {
  const base = (options.baseURL ?? elevenlabsBaseURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 120_000;

  return {
    id: 'elevenlabs',
    displayName: 'ElevenLabs',
    requiresKey: true,
    paid: true,
    models: elevenlabsModels,
    defaultConcurrency: options.defaultConcurrency ?? 4,
    attemptTimeoutMs,

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const key = requireKey(ctx, 'elevenlabs');
      const format = request.params.format === 'wav' ? 'wav' : 'mp3';
      const voice = request.params.voice ?? defaultVoice;
      const url = `${base}/v1/text-to-speech/${encodeURIComponent(voice)}?output_format=${outputFormat(format)}`;
      const answer = await requestBytes(url, {
        method: 'POST',
        json: speechBody(request),
        headers: { 'xi-api-key': key.secret, accept: format === 'wav' ? 'audio/pcm' : 'audio/mpeg' },
        signal: ctx.signal,
        timeoutMs: attemptTimeoutMs,
        provider: 'elevenlabs',
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      const pcmOk = format === 'wav' && answer.body.byteLength > 0 && answer.body.byteLength % 2 === 0 && answer.mime !== 'application/json';
      if (format === 'mp3' ? !isMp3(answer.body) : !pcmOk) {
        throw new ProviderError('malformed', `elevenlabs: HTTP ${answer.status} answered ${answer.body.byteLength} bytes of ${answer.mime ?? 'unknown type'}, not ${format === 'wav' ? 'PCM' : 'MP3'} audio`, {
          status: answer.status,
        });
      }
      const data = format === 'wav' ? wavFromPcm(answer.body) : answer.body;
      // The API reports the characters it billed.
      const billed = Number(answer.headers.get('x-character-count') ?? NaN);
      const costUsd = Number.isFinite(billed) ? Math.round((billed / 1000) * pricePer1k(request.model) * 1e6) / 1e6 : undefined;
      return { status: 'completed', outputs: [{ type: 'bytes', data, mime: formatMime[format] }], ...(costUsd === undefined ? {} : { costUsd }) };
    },
  };
}
