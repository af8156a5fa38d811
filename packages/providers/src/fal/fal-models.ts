// fal models Mediagate speaks, each with the queue endpoint it calls and the exact input it sends.
// Only models whose input schema was checked against fal's own model pages (fal.ai/models/<id>/llms.txt,
// read 2026-11-21) are here; WAN and Mochi are not yet (their duration/seed fields could not be confirmed).
import { InputError } from '@mediagate/core';
import type { JsonValue, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';

export interface FalModel {
  spec: ModelSpec;
  /** The fal endpoint id for a request (it can depend on the mode). */
  endpoint(request: ProviderRequest): string;
  /** The model input; `imageUrl` is the reference image as a data URI, when there is one. */
  input(request: ProviderRequest, imageUrl: string | undefined): Record<string, JsonValue>;
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

function flux(id: 'schnell' | 'dev', usdPerMegapixel: number): FalModel {
  const endpoint = `fal-ai/flux/${id}`;
  const price: PriceEntry = { basis: 'per_image', usd: usdPerMegapixel, applies: 'per megapixel of output', source: page(endpoint), date };
  return {
    kind: 'image',
    endpoint: () => endpoint,
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
    const input: Record<string, JsonValue> = { prompt: request.prompt, aspect_ratio: request.params.aspect_ratio ?? '16:9' };
    if (request.params.seed !== undefined) input.seed = request.params.seed;
    if (request.params.negative_prompt !== undefined) input.negative_prompt = request.params.negative_prompt;
    return input;
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
    return { prompt: request.prompt, duration: request.params.duration ?? 6, resolution: '1080p' };
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

export const falModels: readonly FalModel[] = [flux('schnell', 0.003), flux('dev', 0.025), kling, pika, ltx];

export function findFalModel(id: string): FalModel | undefined {
  return falModels.find((model) => model.spec.id === id);
}

