// OpenAI's image, video (Sora) and speech models as Mediagate declares them: capabilities that
// drive validation and `GET /v1/providers`, and pricing data with where each number came from.
import type { GenerationParams } from '@mediagate/core';
import type { ModelCapabilities, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';

const date = '2026-11-21';
const pricingPage = 'https://platform.openai.com/docs/pricing';
const thirdParty = 'https://docs.apiyi.com/en/api-capabilities/gpt-image-2/historical-versions';

export type ImageFamily = 'gpt-image' | 'gpt-image-2' | 'dall-e-3';

/** Which request rules an image model follows. */
export const imageFamily: Record<string, ImageFamily> = {
  'gpt-image-1': 'gpt-image',
  'gpt-image-1-mini': 'gpt-image',
  'gpt-image-1.5': 'gpt-image',
  'gpt-image-2': 'gpt-image-2',
  'dall-e-3': 'dall-e-3',
};

/** The fixed sizes per aspect ratio (https://platform.openai.com/docs/api-reference/images/create). */
export const fixedSizes: Record<'gpt-image' | 'dall-e-3', Record<string, string>> = {
  'gpt-image': { '1:1': '1024x1024', '3:2': '1536x1024', '2:3': '1024x1536' },
  'dall-e-3': { '1:1': '1024x1024', '7:4': '1792x1024', '4:7': '1024x1792' },
};

/** gpt-image-2 takes any W×H, multiples of 16, ratio 1:3–3:1, up to 3840×2160 (SDK docs on `size`). */
export const gptImage2 = {
  aspectRatios: ['1:1', '3:2', '2:3', '4:3', '3:4', '16:9', '9:16', '21:9', '9:21', '5:4', '4:5'],
  maxLongSide: 3840,
  maxShortSide: 2160,
} as const;

export const qualities: Record<ImageFamily, readonly NonNullable<GenerationParams['quality']>[]> = {
  'gpt-image': ['auto', 'low', 'medium', 'high'],
  'gpt-image-2': ['auto', 'low', 'medium', 'high'],
  'dall-e-3': ['standard', 'hd'],
};

function imageCapabilities(family: ImageFamily): ModelCapabilities {
  const dalle = family === 'dall-e-3';
  const ratios = family === 'gpt-image-2' ? gptImage2.aspectRatios : Object.keys(fixedSizes[family]);
  return {
    kind: 'image',
    modes: dalle ? ['text-to-image'] : ['text-to-image', 'image-to-image'],
    params: dalle ? ['width', 'height', 'aspect_ratio', 'format', 'n', 'quality'] : ['width', 'height', 'aspect_ratio', 'format', 'n', 'quality'],
    image: {
      aspectRatios: ratios,
      explicitSize: true,
      width: family === 'gpt-image-2' ? { min: 256, max: gptImage2.maxLongSide } : dalle ? { min: 1024, max: 1792 } : { min: 1024, max: 1536 },
      height: family === 'gpt-image-2' ? { min: 256, max: gptImage2.maxLongSide } : dalle ? { min: 1024, max: 1792 } : { min: 1024, max: 1536 },
      ...(family === 'gpt-image-2' ? { multipleOf: 16 } : {}),
      // DALL·E 3 answers PNG only; the GPT image models take output_format.
      formats: dalle ? ['png'] : ['png', 'jpeg', 'webp'],
      maxReferenceImages: dalle ? 0 : 16,
    },
    maxN: dalle ? 1 : 10,
    defaultFormat: 'png',
    async: false,
    cancel: false,
    // A mask applies to the first reference image on /images/edits; DALL·E 3 has no edits.
    ...(dalle ? {} : { mask: true }),
  };
}

/** Per image at 1024×1024 and at 1536×1024 / 1024×1536, by quality. */
type ImagePrices = Record<'low' | 'medium' | 'high', [number, number]>;

const imagePrices: Record<string, { prices: ImagePrices; source: string }> = {
  'gpt-image-1': { prices: { low: [0.011, 0.016], medium: [0.042, 0.063], high: [0.167, 0.25] }, source: pricingPage },
  'gpt-image-1-mini': { prices: { low: [0.005, 0.006], medium: [0.011, 0.015], high: [0.036, 0.052] }, source: pricingPage },
  'gpt-image-1.5': { prices: { low: [0.009, 0.013], medium: [0.034, 0.05], high: [0.133, 0.2] }, source: thirdParty },
  // Token-priced; per-image figures for 1024×1024 from a third-party estimate, scaled by area here.
  'gpt-image-2': { prices: { low: [0.02, 0.03], medium: [0.07, 0.105], high: [0.19, 0.285] }, source: 'https://fal.ai/models/openai/gpt-image-2' },
};

const dallePrices = { standard: [0.04, 0.08], hd: [0.08, 0.12] } as const;

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** The size string sent for a request, per model family (validated before this runs). */
export function imageSize(family: ImageFamily, params: GenerationParams): string {
  if (params.width !== undefined && params.height !== undefined) return `${params.width}x${params.height}`;
  const ratio = params.aspect_ratio ?? '1:1';
  if (family === 'gpt-image-2') {
    const [w, h] = ratio.split(':').map(Number) as [number, number];
    // About a megapixel at the asked ratio, on the 16-pixel grid.
    const scale = Math.sqrt((1024 * 1024) / (w * h));
    const snap = (value: number) => Math.max(256, Math.round((value * scale) / 16) * 16);
    return `${snap(w)}x${snap(h)}`;
  }
  return fixedSizes[family][ratio] ?? '1024x1024';
}

function imageModel(id: string, description: string): ModelSpec {
  const family = imageFamily[id] as ImageFamily;
  const pricing: PriceEntry[] =
    family === 'dall-e-3'
      ? [
          { basis: 'per_image', usd: 0.04, applies: 'standard 1024x1024', source: pricingPage, date },
          { basis: 'per_image', usd: 0.08, applies: 'standard 1792x1024 / 1024x1792, hd 1024x1024', source: pricingPage, date },
          { basis: 'per_image', usd: 0.12, applies: 'hd 1792x1024 / 1024x1792', source: pricingPage, date },
        ]
      : (['low', 'medium', 'high'] as const).flatMap((quality) => {
          const entry = imagePrices[id] as { prices: ImagePrices; source: string };
          const [square, wide] = entry.prices[quality];
          return [
            { basis: 'per_image' as const, usd: square, applies: `${quality} 1024x1024`, source: entry.source, date },
            { basis: 'per_image' as const, usd: wide, applies: `${quality} 1536x1024 / 1024x1536`, source: entry.source, date },
          ];
        });
  return {
    id,
    description,
    capabilities: imageCapabilities(family),
    pricing,
    estimate(request: ProviderRequest) {
      const n = request.params.n ?? 1;
      const size = imageSize(family, request.params);
      const [w, h] = size.split('x').map(Number) as [number, number];
      if (family === 'dall-e-3') {
        const quality = request.params.quality === 'hd' ? 'hd' : 'standard';
        const each = dallePrices[quality][w === h ? 0 : 1];
        return { usd: round(each * n), basis: `${n} × ${quality} ${size} image × $${each}` };
      }
      // "auto" lets OpenAI choose; estimated as medium.
      const quality = request.params.quality === 'low' || request.params.quality === 'high' ? request.params.quality : 'medium';
      const entry = imagePrices[id] as { prices: ImagePrices; source: string };
      const [square, wide] = entry.prices[quality];
      const each = family === 'gpt-image-2' ? round((square * (w * h)) / (1024 * 1024)) : w === h ? square : wide;
      return { usd: round(each * n), basis: `${n} × ${quality} ${size} image × $${each}` };
    },
  };
}

/** Sora sizes by aspect ratio; 1024p sizes only on sora-2-pro (https://platform.openai.com/docs/api-reference/videos/create). */
export const videoSizes: Record<string, Record<string, string>> = {
  'sora-2': { '9:16': '720x1280', '16:9': '1280x720' },
  'sora-2-pro': { '9:16': '720x1280', '16:9': '1280x720' },
};
export const proOnlySizes = ['1024x1792', '1792x1024'];
export const videoSeconds = [4, 8, 12] as const;

/** OpenAI announced the Videos API's shutdown; compatible deployments (e.g. Azure) keep the same shape. */
export const soraDeprecation =
  'OpenAI announced the shutdown of the Videos (Sora 2) API for 2026-09-24 (https://platform.openai.com/docs/deprecations); kept for deployments that still serve /videos';

function videoModel(id: 'sora-2' | 'sora-2-pro', description: string): ModelSpec {
  const pro = id === 'sora-2-pro';
  return {
    id,
    description,
    capabilities: {
      kind: 'video',
      modes: ['text-to-video', 'image-to-video'],
      params: ['width', 'height', 'aspect_ratio', 'duration', 'format'],
      video: {
        aspectRatios: ['16:9', '9:16'],
        explicitSize: true,
        width: { min: 720, max: pro ? 1792 : 1280 },
        height: { min: 720, max: pro ? 1792 : 1280 },
        duration: { min: 4, max: 12 },
        durations: videoSeconds,
        // One input_reference image, which must match the output size.
        maxReferenceImages: 1,
      },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      // No cancel endpoint: DELETE removes finished videos only.
      cancel: false,
      // POST /videos/{id}/remix: a new video from a completed one and a new prompt.
      remix: true,
      deprecated: soraDeprecation,
    },
    pricing: pro
      ? [
          { basis: 'per_second', usd: 0.3, applies: '720x1280 / 1280x720', source: pricingPage, date },
          { basis: 'per_second', usd: 0.5, applies: '1024x1792 / 1792x1024', source: pricingPage, date },
        ]
      : [{ basis: 'per_second', usd: 0.1, applies: '720x1280 / 1280x720', source: pricingPage, date }],
    estimate(request: ProviderRequest) {
      const seconds = request.params.duration ?? 4;
      const large = (request.params.width ?? 0) > 1280 || (request.params.height ?? 0) > 1280;
      const rate = pro ? (large ? 0.5 : 0.3) : 0.1;
      return { usd: round(rate * seconds), basis: `${seconds} s × $${rate}/s` };
    },
  };
}

export const speechVoices = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse', 'marin', 'cedar'] as const;
/** tts-1 and tts-1-hd speak the original nine voices (https://platform.openai.com/docs/guides/text-to-speech). */
const classicVoices = ['alloy', 'ash', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer'] as const;

function speechModel(id: string, description: string, per1k: number, applies: string): ModelSpec {
  const directed = id === 'gpt-4o-mini-tts';
  return {
    id,
    description,
    capabilities: {
      kind: 'speech',
      modes: ['text-to-speech'],
      params: directed ? ['voice', 'format', 'speed', 'instructions'] : ['voice', 'format', 'speed'],
      speech: { voices: directed ? speechVoices : classicVoices, formats: ['mp3', 'wav'], speed: { min: 0.25, max: 4 }, maxCharacters: 4096 },
      maxN: 1,
      defaultFormat: 'mp3',
      async: false,
      cancel: false,
    },
    pricing: [{ basis: 'per_1k_characters', usd: per1k, applies, source: pricingPage, date }],
    estimate(request: ProviderRequest) {
      const characters = request.prompt.length;
      return { usd: round((characters / 1000) * per1k), basis: `${characters} characters × $${per1k}/1k` };
    },
  };
}

export const openaiModels: readonly ModelSpec[] = [
  imageModel('gpt-image-1', 'GPT Image 1: generations and edits with up to 16 reference images'),
  imageModel('gpt-image-1-mini', 'GPT Image 1 mini: cheaper generations and edits'),
  imageModel('gpt-image-1.5', 'GPT Image 1.5: generations and edits'),
  imageModel('gpt-image-2', 'GPT Image 2: any size on a 16-pixel grid up to 3840x2160'),
  imageModel('dall-e-3', 'DALL·E 3: one image per request, standard or hd'),
  videoModel('sora-2', 'Sora 2 video, 4/8/12 s, 720p, from text or a first-frame image'),
  videoModel('sora-2-pro', 'Sora 2 Pro video, up to 1792x1024'),
  speechModel('tts-1', 'TTS 1: fast speech', 0.015, 'characters of input'),
  speechModel('tts-1-hd', 'TTS 1 HD: higher-quality speech', 0.03, 'characters of input'),
  speechModel('gpt-4o-mini-tts', 'GPT-4o mini TTS: speech with voice direction (instructions)', 0.015, 'about $0.015 per minute of audio, taken as ~1,000 characters'),
];
