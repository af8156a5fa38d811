// ElevenLabs text-to-speech models as Mediagate declares them, with the premade voices every
// account has and per-character pricing (https://elevenlabs.io/docs/overview/models).
import type { ModelSpec, ProviderRequest } from '../contract.ts';

const date = '2026-11-21';
const pricingPage = 'https://elevenlabs.io/pricing/api';

/** Premade voices by id (name in the comment); ids are what the API takes in the path. */
export const premadeVoices = [
  'JBFqnCBsd6RMkjVDRZzb', // George
  '21m00Tcm4TlvDq8ikWAM', // Rachel
  'EXAVITQu4vr4xnxzMZGl', // Sarah
  'FGY2WhTYpPnrIDTdsKH5', // Laura
  'IKne3meq5aSn9XLyUdCD', // Charlie
  'N2lVS1w4EtoT3dr4eOWO', // Callum
  'TX3LPaxmHKxFdv7VOQHJ', // Liam
  'XB0fDUnXU5powFXDhCwa', // Charlotte
  'Xb7hH8MSUJpSbSDYk0k2', // Alice
  'XrExE9yKIg1WjnnlVkGX', // Matilda
  'bIHbv24MWmeRgasZH58o', // Will
  'cgSgspJ2msm6clMCkdW9', // Jessica
  'cjVigY5qzO86Huf0OWal', // Eric
  'iP95p4xoKVk53GoZ742B', // Chris
  'nPczCjzI2devNBz1zQrb', // Brian
  'onwK4e9ZLuTAKqWW03F9', // Daniel
  'pFZP5JQG7iQjIQuC4Bku', // Lily
  'pqHfZKP75CvOlQylNhV4', // Bill
  'CwhRBWXzGAHq8TQ4Fs17', // Roger
  'SAz9YHcvj6GT2YYXdXww', // River
] as const;

export const defaultVoice = premadeVoices[0];

/** voice_settings.speed bounds (https://elevenlabs.io/docs/api-reference/text-to-speech/convert). */
export const speedRange = { min: 0.7, max: 1.2 };

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

function model(id: string, description: string, maxCharacters: number, per1k: number): ModelSpec {
  return {
    id,
    description,
    capabilities: {
      kind: 'speech',
      modes: ['text-to-speech'],
      params: ['voice', 'format', 'speed', 'seed'],
      speech: { voices: premadeVoices, formats: ['mp3', 'wav'], speed: speedRange, maxCharacters },
      maxN: 1,
      defaultFormat: 'mp3',
      async: false,
      cancel: false,
    },
    pricing: [{ basis: 'per_1k_characters', usd: per1k, applies: 'pay-as-you-go API rate; plan credits lower it', source: pricingPage, date }],
    estimate(request: ProviderRequest) {
      const characters = request.prompt.length;
      return { usd: round((characters / 1000) * per1k), basis: `${characters} characters × $${per1k}/1k` };
    },
  };
}

export const elevenlabsModels: readonly ModelSpec[] = [
  model('eleven_multilingual_v2', 'Eleven Multilingual v2: lifelike speech in 29 languages', 10_000, 0.1),
  model('eleven_v3', 'Eleven v3: expressive speech in 70+ languages', 5_000, 0.1),
  model('eleven_flash_v2_5', 'Eleven Flash v2.5: ~75 ms latency, 32 languages', 40_000, 0.05),
  model('eleven_turbo_v2_5', 'Eleven Turbo v2.5: quality and latency balanced, 32 languages', 40_000, 0.05),
];

export function pricePer1k(modelId: string): number {
  return modelId.startsWith('eleven_flash') || modelId.startsWith('eleven_turbo') ? 0.05 : 0.1;
}
