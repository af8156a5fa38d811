// Gemini text-to-speech models (generateContent with responseModalities AUDIO): voices, prices,
// the request body, and the WAV container around the raw PCM the API returns.
// https://ai.google.dev/gemini-api/docs/speech-generation
import { ProviderError } from '@mediagate/core';
import type { ModelCapabilities, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';
import type { InlineMedia } from './generate-content.ts';

const pricingSource = 'https://ai.google.dev/gemini-api/docs/pricing';
const date = '2026-11-21';

/** The 30 prebuilt voices of the speech-generation guide. */
export const geminiVoices = [
  'Zephyr', 'Puck', 'Charon', 'Kore', 'Fenrir', 'Leda', 'Orus', 'Aoede', 'Callirrhoe', 'Autonoe',
  'Enceladus', 'Iapetus', 'Umbriel', 'Algieba', 'Despina', 'Erinome', 'Algenib', 'Rasalgethi', 'Laomedeia', 'Achernar',
  'Alnilam', 'Schedar', 'Gacrux', 'Pulcherrima', 'Achird', 'Zubenelgenubi', 'Vindemiatrix', 'Sadachbia', 'Sadaltager', 'Sulafat',
] as const; // prettier-ignore

export const defaultGeminiVoice = 'Kore';

const capabilities: ModelCapabilities = {
  kind: 'speech',
  modes: ['text-to-speech'],
  params: ['voice', 'format'],
  // The TTS models take 8,192 input tokens; a token is at least one character, so 8,000
  // characters always fit.
  speech: { voices: geminiVoices, formats: ['wav'], maxCharacters: 8000 },
  maxN: 1,
  defaultFormat: 'wav',
  async: false,
  cancel: false,
};

/** Audio output is billed as tokens, 32 per second of audio (https://ai.google.dev/gemini-api/docs/tokens). */
const audioTokensPerSecond = 32;
/** Typical speaking rate used to estimate length from text before the call. */
const charactersPerSecond = 15;

function speechModel(id: string, description: string, usdPerMillionAudioTokens: number): ModelSpec {
  const perSecond = (usdPerMillionAudioTokens * audioTokensPerSecond) / 1_000_000;
  const price: PriceEntry = {
    basis: 'per_second',
    usd: perSecond,
    applies: `audio output: $${usdPerMillionAudioTokens} / 1M tokens at 32 tokens per second`,
    source: pricingSource,
    date,
  };
  return {
    id,
    description,
    capabilities,
    pricing: [price],
    estimate(request: ProviderRequest) {
      const seconds = Math.max(1, Math.ceil(request.prompt.length / charactersPerSecond));
      return { usd: Math.round(seconds * perSecond * 1e6) / 1e6, basis: `~${seconds} s of audio × $${perSecond} / s` };
    },
  };
}

export const geminiSpeechModels: readonly ModelSpec[] = [
  speechModel('gemini-2.5-flash-preview-tts', 'Gemini 2.5 Flash TTS (preview): 30 voices, 24 kHz WAV', 10),
  speechModel('gemini-2.5-pro-preview-tts', 'Gemini 2.5 Pro TTS (preview): 30 voices, 24 kHz WAV', 20),
];

export function isGeminiSpeechModel(id: string): boolean {
  return geminiSpeechModels.some((model) => model.id === id);
}

export function geminiSpeechBody(request: ProviderRequest): Record<string, unknown> {
  return {
    contents: [{ role: 'user', parts: [{ text: request.prompt }] }],
    generationConfig: {
      responseModalities: ['AUDIO'],
      speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: request.params.voice ?? defaultGeminiVoice } } },
    },
  };
}

/** A RIFF/WAVE header for 16-bit little-endian PCM. */
export function wavFromPcm(pcm: Uint8Array, sampleRate: number, channels = 1): Buffer {
  const header = Buffer.alloc(44);
  const blockAlign = channels * 2;
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/**
 * The API answers `audio/L16;codec=pcm;rate=24000`: raw 16-bit mono samples. Anything else, or an
 * odd byte count, is not what it documents.
 */
export function pcmToWav(media: InlineMedia, target: string): Buffer {
  const [type, ...parameters] = media.mime.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'audio/l16' && type !== 'audio/pcm') {
    throw new ProviderError('malformed', `google: ${target} sent ${media.mime}, not 16-bit PCM`);
  }
  const rateParameter = parameters.find((part) => part.startsWith('rate='));
  const sampleRate = rateParameter === undefined ? 24_000 : Number(rateParameter.slice('rate='.length));
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192_000) {
    throw new ProviderError('malformed', `google: ${target} sent PCM at an unusable rate (${media.mime})`);
  }
  if (media.data.length % 2 !== 0) throw new ProviderError('malformed', `google: ${target} sent ${media.data.length} bytes of 16-bit PCM (odd count)`);
  return wavFromPcm(media.data, sampleRate);
}
