// fal models Mediagate speaks, each with the queue endpoint it calls and the exact input it sends.
// Each input schema was checked against fal's own model pages (fal.ai/models/<id>/llms.txt) and the
// endpoint types @fal-ai/client 1.10.1 ships (src/types/endpoints.d.ts), read 2026-11-21.
import { InputError } from '@mediagate/core';
import type { JsonValue, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';
import { parseAspectRatio } from '../validate.ts';

export interface FalModel {
  spec: ModelSpec;
  /** The fal endpoint id for a request (it can depend on the mode). */
  endpoint(request: ProviderRequest): string;
  /** The model input; `imageUrl` is the reference image as a data URI, when there is one. */
  input(request: ProviderRequest, imageUrl: string | undefined): Record<string, JsonValue>;
  /** Checks beyond the declared capabilities (throws InputError), run before submit. */
  validate?(request: ProviderRequest): void;
  kind: 'image' | 'video';
}

const date = '2026-11-21';
const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
const page = (id: string) => `https://fal.ai/models/${id}`;

/** fal's named sizes for Flux, by the aspect ratio they have. */
export const falImageSizes: Record<string, { name: string; width: number; height: number }> = {
  '1:1': { name: 'square_hd', width: 1024, height: 1024 },
  '4:3': { name: 'landscape_4_3', width: 1024, height: 768 },
  '3:4': { name: 'portrait_4_3', width: 768, height: 1024 },
  '16:9': { name: 'landscape_16_9', width: 1024, height: 576 },
  '9:16': { name: 'portrait_16_9', width: 576, height: 1024 },
};

function fluxSize(request: ProviderRequest): { width: number; height: number; value: JsonValue } {
  const { width, height, aspect_ratio } = request.params;
  if (width !== undefined && height !== undefined) return { width, height, value: { width, height } };
  if (width !== undefined || height !== undefined) {
    throw new InputError('params.width: fal Flux takes width and height together, or an aspect_ratio', { field: width === undefined ? 'params.width' : 'params.height' });
  }
  const size = falImageSizes[aspect_ratio ?? '1:1'] ?? falImageSizes['1:1'];
  if (!size) throw new Error('no default Flux size');
  return { width: size.width, height: size.height, value: size.name };
}

/** `seed` and `negative_prompt` under fal's own names, for the video models that take both. */
function seedAndNegativePrompt(request: ProviderRequest): Record<string, JsonValue> {
  const { seed, negative_prompt } = request.params;
  return { ...(seed !== undefined ? { seed } : {}), ...(negative_prompt !== undefined ? { negative_prompt } : {}) };
}

function flux(id: 'schnell' | 'dev', usdPerMegapixel: number): FalModel {
  const endpoint = `fal-ai/flux/${id}`;
  const price: PriceEntry = { basis: 'per_image', usd: usdPerMegapixel, applies: 'per megapixel of output', source: page(endpoint), date };
  return {
    kind: 'image',
    endpoint: () => endpoint,
    validate: (request) => void fluxSize(request),
    input(request) {
      const input: Record<string, JsonValue> = { prompt: request.prompt, image_size: fluxSize(request).value, num_images: request.params.n ?? 1 };
      if (request.params.seed !== undefined) input.seed = request.params.seed;
      if (request.params.format !== undefined) input.output_format = request.params.format;
      return input;
    },
    spec: {
      id: `flux/${id}`,
      description: id === 'schnell' ? 'FLUX.1 [schnell] on fal: fast text to image' : 'FLUX.1 [dev] on fal: text to image',
      capabilities: {
        kind: 'image',
        modes: ['text-to-image'],
        params: ['aspect_ratio', 'width', 'height', 'n', 'seed', 'format'],
        image: { aspectRatios: Object.keys(falImageSizes), explicitSize: true, width: { min: 256, max: 2048 }, height: { min: 256, max: 2048 }, formats: ['jpeg', 'png'], maxReferenceImages: 0 },
        maxN: 4,
        defaultFormat: 'jpeg',
        async: true,
        cancel: false,
      },
      pricing: [price],
      estimate(request) {
        const { width, height } = fluxSize(request);
        const n = request.params.n ?? 1;
        const megapixels = Math.max(1, Math.ceil((width * height) / 1_000_000));
        return { usd: round(n * megapixels * usdPerMegapixel), basis: `${n} image × ${megapixels} MP × $${usdPerMegapixel}` };
      },
    },
  };
}

function perSecondVideo(price: PriceEntry, seconds: (request: ProviderRequest) => number) {
  return (request: ProviderRequest) => {
    const length = seconds(request);
    return { usd: round(length * price.usd), basis: `${length} s × $${price.usd}` };
  };
}

const klingEndpoint = 'fal-ai/kling-video/v2.1/master';
const klingPrice: PriceEntry = { basis: 'per_second', usd: 0.28, applies: '$1.40 for 5 s, $0.28 each further second', source: page(`${klingEndpoint}/text-to-video`), date };

const kling: FalModel = {
  kind: 'video',
  endpoint: (request) => `${klingEndpoint}/${request.mode === 'image-to-video' ? 'image-to-video' : 'text-to-video'}`,
  validate(request) {
    // Kling's image-to-video input has no aspect_ratio: the video keeps the image's.
    if (request.mode === 'image-to-video' && request.params.aspect_ratio !== undefined) {
      throw new InputError('params.aspect_ratio: fal/kling-video/v2.1/master takes the aspect ratio of the reference image; leave aspect_ratio out', {
        field: 'params.aspect_ratio',
      });
    }
  },
  input(request, imageUrl) {
    const input: Record<string, JsonValue> = { prompt: request.prompt, duration: String(request.params.duration ?? 5) };
    if (request.params.negative_prompt !== undefined) input.negative_prompt = request.params.negative_prompt;
    if (request.mode === 'image-to-video') input.image_url = imageUrl ?? '';
    else input.aspect_ratio = request.params.aspect_ratio ?? '16:9';
    return input;
  },
  spec: {
    id: 'kling-video/v2.1/master',
    description: 'Kling 2.1 Master on fal: text or image to 5/10 s video',
    capabilities: {
      kind: 'video',
      modes: ['text-to-video', 'image-to-video'],
      params: ['aspect_ratio', 'duration', 'negative_prompt', 'format'],
      video: { aspectRatios: ['16:9', '9:16', '1:1'], explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, duration: { min: 5, max: 10 }, durations: [5, 10], maxReferenceImages: 1 },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: false,
    },
    pricing: [klingPrice],
    estimate: perSecondVideo(klingPrice, (request) => request.params.duration ?? 5),
  },
};

const pikaEndpoint = 'fal-ai/pika/v2/turbo/text-to-video';
const pikaPrice: PriceEntry = { basis: 'per_request', usd: 0.2, applies: 'per video', source: page(pikaEndpoint), date };
const pika: FalModel = {
  kind: 'video',
  endpoint: () => pikaEndpoint,
  input(request) {
    return { prompt: request.prompt, aspect_ratio: request.params.aspect_ratio ?? '16:9', ...seedAndNegativePrompt(request) };
  },
  spec: {
    id: 'pika/v2/turbo/text-to-video',
    description: 'Pika v2 Turbo on fal: text to video (720p)',
    capabilities: {
      kind: 'video',
      modes: ['text-to-video'],
      params: ['aspect_ratio', 'seed', 'negative_prompt', 'format'],
      video: { aspectRatios: ['16:9', '9:16', '1:1', '4:5', '5:4', '3:2', '2:3'], explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, duration: { min: 5, max: 5 }, maxReferenceImages: 0 },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: false,
    },
    pricing: [pikaPrice],
    estimate: () => ({ usd: pikaPrice.usd, basis: '1 video × $0.2' }),
  },
};

const ltxEndpoint = 'fal-ai/ltx-2/text-to-video/fast';
const ltxPrice: PriceEntry = { basis: 'per_second', usd: 0.04, applies: '1080p', source: page(ltxEndpoint), date };
const ltx: FalModel = {
  kind: 'video',
  endpoint: () => ltxEndpoint,
  input(request) {
    // A string enum on fal ("6", "8", "10", …), as Kling's durations are.
    return { prompt: request.prompt, duration: String(request.params.duration ?? 6), resolution: '1080p' };
  },
  spec: {
    id: 'ltx-2/text-to-video/fast',
    description: 'LTX-2 Fast on fal: text to 1080p video with audio, 6–10 s',
    capabilities: {
      kind: 'video',
      modes: ['text-to-video'],
      params: ['aspect_ratio', 'duration', 'format'],
      video: { aspectRatios: ['16:9'], explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, duration: { min: 6, max: 10 }, durations: [6, 8, 10], maxReferenceImages: 0 },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: false,
    },
    pricing: [ltxPrice],
    estimate: perSecondVideo(ltxPrice, (request) => request.params.duration ?? 6),
  },
};

// WAN 2.2 A14B: one model, text or image to video. fal counts "video seconds" as frames ÷ 16 and
// takes num_frames 17–161, so whole seconds 1–10 at 16 fps are exactly num_frames 16·s + 1.
const wanEndpoint = 'fal-ai/wan/v2.2-a14b';
const wanFps = 16;
const wanAspectRatios = ['16:9', '9:16', '1:1'];
/** fal's resolution names, by the short side they stand for. */
const wanResolutions: Record<number, '480p' | '580p' | '720p'> = { 480: '480p', 580: '580p', 720: '720p' };
const wanRates: Record<'480p' | '580p' | '720p', number> = { '720p': 0.08, '580p': 0.06, '480p': 0.04 };
const wanDurations = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** WAN's resolution and aspect ratio for a request: 720p unless width×height names 480p or 580p. */
export function wanShape(request: ProviderRequest): { resolution: '480p' | '580p' | '720p'; aspectRatio: string | undefined } {
  const { width, height, aspect_ratio } = request.params;
  if (width === undefined && height === undefined) return { resolution: '720p', aspectRatio: aspect_ratio };
  if (width === undefined || height === undefined) {
    throw new InputError('params.width: fal/wan/v2.2-a14b takes width and height together (the short side picks 480p, 580p or 720p), or an aspect_ratio', {
      field: width === undefined ? 'params.width' : 'params.height',
    });
  }
  const short = Math.min(width, height);
  const resolution = wanResolutions[short];
  if (resolution === undefined) {
    throw new InputError(`params.height: fal/wan/v2.2-a14b renders 480p, 580p or 720p: the short side must be 480, 580 or 720; got ${short}`, {
      field: width === short ? 'params.width' : 'params.height',
      allowed: [480, 580, 720],
    });
  }
  // Within 2%, so 854×480 and 848×480 both read as 16:9.
  const aspectRatio = wanAspectRatios.find((ratio) => {
    const { w, h } = parseAspectRatio(ratio);
    return Math.abs(width / height / (w / h) - 1) <= 0.02;
  });
  if (aspectRatio === undefined) {
    throw new InputError(`params.width: ${width}×${height} is not one of fal/wan/v2.2-a14b's aspect ratios (${wanAspectRatios.join(', ')})`, {
      field: 'params.width',
      allowed: wanAspectRatios,
    });
  }
  return { resolution, aspectRatio };
}

function wanFrames(request: ProviderRequest): number {
  return wanFps * (request.params.duration ?? 5) + 1;
}

const wanSource = page(`${wanEndpoint}/image-to-video`);
const wanPrices: PriceEntry[] = (['720p', '580p', '480p'] as const).map((resolution) => ({
  basis: 'per_second',
  usd: wanRates[resolution],
  applies: `${resolution}, per video second counted as frames ÷ 16; text to video at the image-to-video rate (estimate)`,
  source: wanSource,
  date,
}));

const wan: FalModel = {
  kind: 'video',
  endpoint: (request) => `${wanEndpoint}/${request.mode === 'image-to-video' ? 'image-to-video' : 'text-to-video'}`,
  validate: (request) => void wanShape(request),
  input(request, imageUrl) {
    const { resolution, aspectRatio } = wanShape(request);
    const input: Record<string, JsonValue> = { prompt: request.prompt, num_frames: wanFrames(request), frames_per_second: wanFps, resolution };
    // Image to video crops the image to a given aspect ratio; "auto" keeps the image's.
    if (request.mode === 'image-to-video') {
      input.image_url = imageUrl ?? '';
      input.aspect_ratio = aspectRatio ?? 'auto';
    } else {
      input.aspect_ratio = aspectRatio ?? '16:9';
    }
    return { ...input, ...seedAndNegativePrompt(request) };
  },
  spec: {
    id: 'wan/v2.2-a14b',
    description: 'Wan 2.2 A14B on fal: text or image to 1–10 s video at 480p, 580p or 720p',
    capabilities: {
      kind: 'video',
      modes: ['text-to-video', 'image-to-video'],
      params: ['aspect_ratio', 'width', 'height', 'duration', 'seed', 'negative_prompt', 'format'],
      video: { aspectRatios: wanAspectRatios, explicitSize: true, width: { min: 480, max: 1280 }, height: { min: 480, max: 1280 }, duration: { min: 1, max: 10 }, durations: wanDurations, maxReferenceImages: 1 },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: false,
    },
    pricing: wanPrices,
    estimate(request) {
      const { resolution } = wanShape(request);
      const frames = wanFrames(request);
      const usd = wanRates[resolution];
      return { usd: round((frames / wanFps) * usd), basis: `${frames} frames ÷ ${wanFps} × $${usd} (${resolution})` };
    },
  },
};

// Mochi 1 preview takes a prompt, a negative prompt and a seed; length and size are its own.
const mochiEndpoint = 'fal-ai/mochi-v1';
const mochiPrice: PriceEntry = {
  basis: 'per_request',
  usd: 0.4,
  applies: 'per video (estimate: the price on fal’s model page was not confirmed; listings put it at $0.25–$0.41)',
  source: page(mochiEndpoint),
  date,
};
const mochi: FalModel = {
  kind: 'video',
  endpoint: () => mochiEndpoint,
  input(request) {
    return { prompt: request.prompt, ...seedAndNegativePrompt(request) };
  },
  spec: {
    id: 'mochi-v1',
    description: 'Mochi 1 preview on fal: text to about 5 s of 480p video',
    capabilities: {
      kind: 'video',
      modes: ['text-to-video'],
      params: ['aspect_ratio', 'seed', 'negative_prompt', 'format'],
      video: { aspectRatios: ['16:9'], explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, duration: { min: 5, max: 5 }, maxReferenceImages: 0 },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: false,
    },
    pricing: [mochiPrice],
    estimate: () => ({ usd: mochiPrice.usd, basis: `1 video × $${mochiPrice.usd}` }),
  },
};

export const falModels: readonly FalModel[] = [flux('schnell', 0.003), flux('dev', 0.025), kling, pika, ltx, wan, mochi];

export function findFalModel(id: string): FalModel | undefined {
  return falModels.find((model) => model.spec.id === id);
}

