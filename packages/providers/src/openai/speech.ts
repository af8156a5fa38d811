// OpenAI text-to-speech: `/audio/speech` with voice, format, speed and (gpt-4o-mini-tts)
// instructions; the answer is the audio file itself.
import { ProviderError, formatMime } from '@mediagate/core';
import type OpenAI from 'openai';
import type { CallContext, ProviderRequest, SubmitResult } from '../contract.ts';
import { call } from './client.ts';

/** Whether bytes start like the audio asked for; a 2xx with anything else is `malformed`. */
export function looksLikeAudio(format: 'mp3' | 'wav', data: Uint8Array): boolean {
  if (format === 'wav') return Buffer.from(data.subarray(0, 4)).toString('latin1') === 'RIFF' && Buffer.from(data.subarray(8, 12)).toString('latin1') === 'WAVE';
  // An ID3 tag, or an MPEG audio frame sync (11 set bits).
  const [a = 0, b = 0, c = 0] = data;
  return (a === 0x49 && b === 0x44 && c === 0x33) || (a === 0xff && (b & 0xe0) === 0xe0);
}

export function speechBody(request: ProviderRequest): OpenAI.Audio.SpeechCreateParams {
  const { params } = request;
  return {
    model: request.model,
    input: request.prompt,
    voice: params.voice ?? 'alloy',
    response_format: params.format === 'wav' ? 'wav' : 'mp3',
    ...(params.speed === undefined ? {} : { speed: params.speed }),
    ...(params.instructions === undefined ? {} : { instructions: params.instructions }),
  };
}

export async function createSpeech(client: OpenAI, request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
  const body = speechBody(request);
  const data = await call(ctx, 'POST /audio/speech', async (signal) => {
    const response = await client.audio.speech.create(body, { signal });
    return new Uint8Array(await response.arrayBuffer());
  });
  const format = body.response_format === 'wav' ? 'wav' : 'mp3';
  if (!looksLikeAudio(format, data)) throw new ProviderError('malformed', `openai: POST /audio/speech answered ${data.byteLength} bytes that are not ${format} audio`);
  return { status: 'completed', outputs: [{ type: 'bytes', data, mime: formatMime[format] }] };
}
