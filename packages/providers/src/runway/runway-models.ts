// Runway's models as Mediagate capabilities: which task endpoint each one uses, and how a
// normalized aspect ratio (or an exact width×height) becomes one of Runway's pixel "ratio" strings.
// Ratios, durations and task endpoints: runwayml/sdk-node src/resources/{text-to-image,
// image-to-video,text-to-video}.ts; prices: https://docs.dev.runwayml.com/guides/pricing/ (1 credit = $0.01).
import { InputError } from '@mediagate/core';
import type { ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';

export type RunwayEndpoint = 'text_to_image' | 'image_to_video' | 'text_to_video';

export interface RunwayModel {
  spec: ModelSpec;
  endpoint: RunwayEndpoint;
  /** Normalized aspect ratio → Runway ratio string; the first entry is the default. */
  ratios: Readonly<Record<string, string>>;
  /** Further exact Runway sizes reachable only through explicit width and height. */
  extraSizes: readonly string[];
  /** Seconds sent when the request names none (undefined: Runway's own default, not sent). */
  defaultDuration?: number;
}

const source = 'https://docs.dev.runwayml.com/guides/pricing/';
const date = '2026-11-21';
const round = (usd: number) => Math.round(usd * 1e6) / 1e6;

function perSecond(usd: number, applies: string): PriceEntry {
  return { basis: 'per_second', usd, applies, source, date };
}

function videoEstimate(price: PriceEntry, defaultSeconds: number) {
  return (request: ProviderRequest) => {
    const seconds = request.params.duration ?? defaultSeconds;
    return { usd: round(seconds * price.usd), basis: `${seconds} s × $${price.usd}` };
  };
}

const gen4ImagePrices: PriceEntry[] = [
  { basis: 'per_image', usd: 0.05, applies: '720p (5 credits)', source, date },
  { basis: 'per_image', usd: 0.08, applies: '1080p (8 credits)', source, date },
];

/** Runway bills gen4_image by output resolution: 720p sizes cost 5 credits, larger ones 8. */
function gen4ImageEstimate(request: ProviderRequest) {
  const ratio = runwayRatio(runwayModels.gen4_image, request);
  const [width = 0, height = 0] = ratio.split(':').map(Number);
  const is720 = Math.min(width, height) <= 720;
  const usd = is720 ? 0.05 : 0.08;
  return { usd, basis: `1 image at ${ratio} × $${usd}` };
}

const gen4Turbo = perSecond(0.05, 'gen4_turbo (5 credits/s)');
const gen45 = perSecond(0.12, 'gen4.5 (12 credits/s)');
const veo3 = perSecond(0.4, 'veo3 (40 credits/s)');

const anySize = { min: 1, max: 4096 };

export const runwayModels: Record<'gen4_image' | 'gen4_turbo' | 'gen4.5' | 'veo3', RunwayModel> = {
  gen4_image: {
    endpoint: 'text_to_image',
    ratios: { '16:9': '1920:1080', '9:16': '1080:1920', '1:1': '1024:1024', '4:3': '1440:1080', '3:4': '1080:1440', '21:9': '2112:912' },
    extraSizes: ['1080:1080', '1168:880', '1360:768', '1808:768', '1280:720', '720:1280', '720:720', '960:720', '720:960', '1680:720'],
    spec: {
      id: 'gen4_image',
      description: 'Gen-4 Image: text to image at Runway’s fixed sizes',
      capabilities: {
        kind: 'image',
        modes: ['text-to-image'],
        params: ['aspect_ratio', 'width', 'height', 'seed', 'format'],
        image: { aspectRatios: ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9'], explicitSize: true, width: anySize, height: anySize, formats: ['png'], maxReferenceImages: 0 },
        maxN: 1,
        defaultFormat: 'png',
        async: true,
        cancel: true,
      },
      pricing: gen4ImagePrices,
      estimate: (request) => gen4ImageEstimate(request),
    },
  },
  gen4_turbo: {
    endpoint: 'image_to_video',
    ratios: { '16:9': '1280:720', '9:16': '720:1280', '1:1': '960:960', '4:3': '1104:832', '3:4': '832:1104', '21:9': '1584:672' },
    extraSizes: [],
    defaultDuration: 5,
    spec: {
      id: 'gen4_turbo',
      description: 'Gen-4 Turbo: animates a reference image (5 or 10 s)',
      capabilities: {
        kind: 'video',
        modes: ['image-to-video'],
        params: ['aspect_ratio', 'width', 'height', 'duration', 'seed', 'format'],
        video: {
          aspectRatios: ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9'],
          explicitSize: true,
          width: anySize,
          height: anySize,
          duration: { min: 5, max: 10 },
          durations: [5, 10],
          maxReferenceImages: 1,
        },
        maxN: 1,
        defaultFormat: 'mp4',
        async: true,
        cancel: true,
      },
      pricing: [gen4Turbo],
      estimate: videoEstimate(gen4Turbo, 5),
    },
  },
  'gen4.5': {
    endpoint: 'text_to_video',
    ratios: { '16:9': '1280:720', '9:16': '720:1280' },
    extraSizes: [],
    defaultDuration: 5,
    spec: {
      id: 'gen4.5',
      description: 'Gen-4.5: text to video, 2–10 s',
      capabilities: {
        kind: 'video',
        modes: ['text-to-video'],
        params: ['aspect_ratio', 'width', 'height', 'duration', 'seed', 'format'],
        video: { aspectRatios: ['16:9', '9:16'], explicitSize: true, width: anySize, height: anySize, duration: { min: 2, max: 10 }, durations: [2, 3, 4, 5, 6, 7, 8, 9, 10], maxReferenceImages: 0 },
        maxN: 1,
        defaultFormat: 'mp4',
        async: true,
        cancel: true,
      },
      pricing: [gen45],
      estimate: videoEstimate(gen45, 5),
    },
  },
  veo3: {
    endpoint: 'text_to_video',
    ratios: { '16:9': '1280:720', '9:16': '720:1280' },
    extraSizes: ['1920:1080', '1080:1920'],
    defaultDuration: 8,
    spec: {
      id: 'veo3',
      description: 'Google Veo 3 through Runway: text to 8-second video',
      capabilities: {
        kind: 'video',
        modes: ['text-to-video'],
        params: ['aspect_ratio', 'width', 'height', 'duration', 'format'],
        video: { aspectRatios: ['16:9', '9:16'], explicitSize: true, width: anySize, height: anySize, duration: { min: 8, max: 8 }, durations: [8], maxReferenceImages: 0 },
        maxN: 1,
        defaultFormat: 'mp4',
        async: true,
        cancel: true,
      },
      pricing: [veo3],
      estimate: videoEstimate(veo3, 8),
    },
  },
};

export function findRunwayModel(id: string): RunwayModel | undefined {
  return Object.values(runwayModels).find((model) => model.spec.id === id);
}

/** The exact sizes a model accepts as explicit width×height. */
export function runwaySizes(model: RunwayModel): string[] {
  return [...new Set([...Object.values(model.ratios), ...model.extraSizes])];
}

/** Runway's `ratio` for a request: the aspect ratio's size, or an explicit width×height Runway lists. */
export function runwayRatio(model: RunwayModel, request: ProviderRequest): string {
  const { width, height, aspect_ratio } = request.params;
  if (width !== undefined || height !== undefined) {
    const size = `${width ?? '?'}:${height ?? '?'}`;
    const sizes = runwaySizes(model);
    if (!sizes.includes(size)) {
      throw new InputError(
        `params.width: runway/${model.spec.id} renders only these sizes (width:height): ${sizes.join(', ')}; got ${size}`,
        { field: width === undefined ? 'params.height' : 'params.width', allowed: sizes },
      );
    }
    return size;
  }
  const ratios = Object.entries(model.ratios);
  const chosen = aspect_ratio === undefined ? ratios[0]?.[1] : model.ratios[aspect_ratio];
  if (chosen === undefined) {
    // validateAgainstCapabilities already limits aspect_ratio to the declared list.
    throw new InputError(`params.aspect_ratio: ${aspect_ratio} is not supported; allowed: ${Object.keys(model.ratios).join(', ')}`, {
      field: 'params.aspect_ratio',
      allowed: Object.keys(model.ratios),
    });
  }
  return chosen;
}
