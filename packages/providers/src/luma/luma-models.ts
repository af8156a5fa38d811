// Luma's Dream Machine models as Mediagate capabilities: Ray video (ray-2, ray-flash-2) and Photon
// images (photon-1, photon-flash-1), with the request fields each one takes. Fields and enums:
// lumalabs/lumaai-node src/resources/generations/{generations,image,video}.ts (keyframes frame0 and
// frame1, each {type: "image", url}); Ray resolutions 540p–4k and durations "5s"/"9s":
// https://docs.lumalabs.ai/docs/video-generation.
import { InputError } from '@mediagate/core';
import type { ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';
import { parseAspectRatio } from '../validate.ts';

export const lumaAspectRatios = ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9', '9:21'] as const;
export const lumaResolutions = { 540: '540p', 720: '720p', 1080: '1080p', 2160: '4k' } as const;
type ShortSide = keyof typeof lumaResolutions;

// Luma lists API prices per generation; these are the figures ComfyUI's partner-node price table
// republishes from Luma (third-party, read 2026-11-21).
const source = 'https://docs.comfy.org/tutorials/api-nodes/pricing (Luma rows; third-party copy of Luma API prices)';
const date = '2026-11-21';

const rayPrices: Record<'ray-2' | 'ray-flash-2', Record<string, { '5s': number; '9s': number }>> = {
  'ray-2': {
    '540p': { '5s': 0.4, '9s': 0.72 },
    '720p': { '5s': 0.71, '9s': 1.27 },
    '1080p': { '5s': 1.59, '9s': 2.87 },
    '4k': { '5s': 6.37, '9s': 11.47 },
  },
  // Only the 4k rows were published for ray-flash-2 in that table; other resolutions are priced at
  // ray-2's rows scaled by the same ratio (2.19 / 6.37), and say so.
  'ray-flash-2': {
    '540p': { '5s': 0.14, '9s': 0.25 },
    '720p': { '5s': 0.24, '9s': 0.44 },
    '1080p': { '5s': 0.55, '9s': 0.99 },
    '4k': { '5s': 2.19, '9s': 3.94 },
  },
};

function rayPriceEntries(model: 'ray-2' | 'ray-flash-2'): PriceEntry[] {
  return Object.entries(rayPrices[model]).flatMap(([resolution, byDuration]) =>
    Object.entries(byDuration).map(([duration, usd]) => ({
      basis: 'per_request' as const,
      usd,
      applies: `${resolution} ${duration}${model === 'ray-flash-2' && resolution !== '4k' ? ' (scaled from ray-2 by the 4k ratio)' : ''}`,
      source,
      date,
    })),
  );
}

/** Luma's resolution for a request: from an explicit size's short side, else 720p. */
export function lumaResolution(request: ProviderRequest): string {
  const { width, height } = request.params;
  if (width === undefined && height === undefined) return '720p';
  const short = Math.min(width ?? Number.POSITIVE_INFINITY, height ?? Number.POSITIVE_INFINITY) as number;
  const resolution = lumaResolutions[short as ShortSide];
  if (resolution === undefined) {
    throw new InputError(`params.height: Luma renders 540p, 720p, 1080p or 4k: the short side must be 540, 720, 1080 or 2160; got ${short}`, {
      field: width !== undefined && width === short ? 'params.width' : 'params.height',
      allowed: [540, 720, 1080, 2160],
    });
  }
  return resolution;
}

/** Luma's aspect_ratio for a request: the given one, the one an explicit width×height makes, or 16:9. */
export function lumaAspectRatio(request: ProviderRequest): string {
  const { width, height, aspect_ratio } = request.params;
  if (aspect_ratio !== undefined) return aspect_ratio;
  if (width === undefined || height === undefined) return '16:9';
  const match = lumaAspectRatios.find((ratio) => {
    const { w, h } = parseAspectRatio(ratio);
    return Math.abs(width / height - w / h) < 0.01;
  });
  if (match === undefined) {
    throw new InputError(`params.width: ${width}×${height} is not one of Luma's aspect ratios (${lumaAspectRatios.join(', ')})`, {
      field: 'params.width',
      allowed: lumaAspectRatios,
    });
  }
  return match;
}

function rayModel(id: 'ray-2' | 'ray-flash-2', description: string): ModelSpec {
  return {
    id,
    description,
    capabilities: {
      kind: 'video',
      // Reference images become keyframes: the first is frame0 (the opening frame), a second
      // frame1 (the closing frame). Luma fetches them from URLs itself: signed links to this
      // server, which needs MEDIAGATE_PUBLIC_URL (checked at submit).
      modes: ['text-to-video', 'image-to-video'],
      params: ['aspect_ratio', 'width', 'height', 'duration', 'format'],
      video: {
        aspectRatios: lumaAspectRatios,
        explicitSize: true,
        width: { min: 540, max: 8192 },
        height: { min: 540, max: 8192 },
        duration: { min: 5, max: 9 },
        durations: [5, 9],
        maxReferenceImages: 2,
      },
      referenceImageUrls: true,
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: true,
    },
    pricing: rayPriceEntries(id),
    estimate(request) {
      const resolution = lumaResolution(request);
      const duration = request.params.duration === 9 ? '9s' : '5s';
      const usd = rayPrices[id][resolution]?.[duration] ?? 0;
      return { usd, basis: `1 video at ${resolution}, ${duration} × $${usd}` };
    },
  };
}

function photonModel(id: 'photon-1' | 'photon-flash-1', usd: number, description: string): ModelSpec {
  const price: PriceEntry = { basis: 'per_image', usd, applies: 'text to image', source, date };
  return {
    id,
    description,
    capabilities: {
      kind: 'image',
      modes: ['text-to-image'],
      params: ['aspect_ratio', 'format'],
      image: { aspectRatios: lumaAspectRatios, explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, formats: ['jpeg'], maxReferenceImages: 0 },
      maxN: 1,
      defaultFormat: 'jpeg',
      async: true,
      cancel: true,
    },
    pricing: [price],
    estimate: () => ({ usd, basis: `1 image × $${usd}` }),
  };
}

export const lumaModels: readonly ModelSpec[] = [
  rayModel('ray-2', 'Ray 2: text to video, 5 or 9 s, 540p–4k'),
  rayModel('ray-flash-2', 'Ray Flash 2: faster, cheaper Ray video'),
  photonModel('photon-1', 0.0073, 'Photon 1: text to image'),
  photonModel('photon-flash-1', 0.0019, 'Photon Flash 1: faster, cheaper Photon image'),
];
