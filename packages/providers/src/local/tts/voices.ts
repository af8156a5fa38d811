// The espeak-ng voices local/tts offers and how a speed multiplier becomes espeak's words per
// minute. Kept apart so capabilities, validation and the engine agree on one list.

/**
 * Voices checked to synthesize with the bundled espeak-ng data. Variants (`+f3`…) are listed only
 * where espeak applies them: it silently ignores a variant on `en-gb`, so those are left out.
 * The first entry is the default.
 */
export const ttsVoices = [
  'en-us',
  'en-us+f2',
  'en-us+f3',
  'en-us+f4',
  'en-us+m3',
  'en-us+m7',
  'en-us+whisper',
  'en-us-nyc',
  'en-gb',
  'en-gb-x-rp',
  'en-gb-x-rp+f3',
  'en-gb-scotland',
  'en-029',
  'fr',
  'de',
  'es',
  'es-419',
  'it',
  'pt',
  'pt-br',
  'nl',
  'sv',
  'da',
  'nb',
  'fi',
  'pl',
  'cs',
  'ru',
  'uk',
  'tr',
  'el',
  'hi',
  'ja',
  'ko',
  'cmn',
  'ar',
  'he',
  'id',
  'vi',
] as const;

export const defaultVoice = 'en-us';

export const speedRange = { min: 0.5, max: 2 } as const;

/** espeak-ng's own default rate. */
const baseWordsPerMinute = 175;

export function wordsPerMinute(speed = 1): number {
  const clamped = Math.min(speedRange.max, Math.max(speedRange.min, speed));
  return Math.round(baseWordsPerMinute * clamped);
}
