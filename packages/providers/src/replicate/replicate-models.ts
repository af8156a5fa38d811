// The Replicate models Mediagate ships with exact input mappings and prices. Any other model runs
// too (replicate-any-model.ts), with its inputs given raw and its price unknown.
// Input schemas: each model's API page on replicate.com (read 2026-11-21).
import { InputError } from '@mediagate/core';
import type { JsonValue, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';

export interface ReplicateModel {
  spec: ModelSpec;
  /** "owner/name" for POST /v1/models/{owner}/{name}/predictions. */
  model: string;
  /** A version id (64 hex digits): the prediction goes to POST /v1/predictions with it instead. */
  version?: string;
  input(request: ProviderRequest): Record<string, JsonValue>;
}

/**
 * The model's input: what Mediagate maps from the request, plus `params.provider_input` (the
 * model's own input names). An input both would set is refused rather than silently overridden.
 */
export function withProviderInput(target: string, mapped: Record<string, JsonValue>, request: ProviderRequest): Record<string, JsonValue> {
  const raw = request.params.provider_input ?? {};
  for (const name of Object.keys(raw)) {
    if (name in mapped) {
      throw new InputError(
        `params.provider_input.${name}: replicate/${target} already gets input.${name} from the request (it sets: ${Object.keys(mapped).join(', ')}); leave ${name} out of provider_input`,
        { field: `params.provider_input.${name}`, allowed: Object.keys(mapped) },
      );
    }
  }
  return { ...mapped, ...(raw as Record<string, JsonValue>) };
}

const date = '2026-11-21';
const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
const fluxAspectRatios = ['1:1', '16:9', '21:9', '3:2', '2:3', '4:5', '5:4', '3:4', '4:3', '9:16', '9:21'];
const fluxFormats: Record<string, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

function flux(name: 'flux-schnell' | 'flux-dev', usd: number): ReplicateModel {
  const model = `black-forest-labs/${name}`;
  const price: PriceEntry = { basis: 'per_image', usd, applies: 'per output image', source: `https://replicate.com/${model}`, date };
  return {
    model,
    input(request) {
      const input: Record<string, JsonValue> = {
        prompt: request.prompt,
        aspect_ratio: request.params.aspect_ratio ?? '1:1',
        num_outputs: request.params.n ?? 1,
        output_format: fluxFormats[request.params.format ?? 'webp'] ?? 'webp',
      };
      if (request.params.seed !== undefined) input.seed = request.params.seed;
      return withProviderInput(model, input, request);
    },
    spec: {
      id: model,
      description: `${name === 'flux-schnell' ? 'FLUX.1 [schnell]' : 'FLUX.1 [dev]'} on Replicate: text to image`,
      capabilities: {
        kind: 'image',
        modes: ['text-to-image'],
        params: ['aspect_ratio', 'n', 'seed', 'format', 'provider_input'],
        image: { aspectRatios: fluxAspectRatios, explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, formats: ['webp', 'png', 'jpeg'], maxReferenceImages: 0 },
        maxN: 4,
        defaultFormat: 'webp',
        async: true,
        cancel: true,
      },
      pricing: [price],
      estimate: (request) => ({ usd: round((request.params.n ?? 1) * usd), basis: `${request.params.n ?? 1} image × $${usd}` }),
    },
  };
}

// Replicate's page did not show a per-second price for this model when read; the estimate uses the
// list price of the same model at 720p elsewhere, and says so.
const wanPrice: PriceEntry = {
  basis: 'per_second',
  usd: 0.1,
  applies: '720p; estimate from the model’s 720p list price on fal.ai/models/fal-ai/wan/v2.7/text-to-video',
  source: 'https://replicate.com/wan-video/wan-2.7-t2v',
  date,
};

const wan: ReplicateModel = {
  model: 'wan-video/wan-2.7-t2v',
  input(request) {
    const input: Record<string, JsonValue> = {
      prompt: request.prompt,
      aspect_ratio: request.params.aspect_ratio ?? '16:9',
      resolution: '720p',
      duration: request.params.duration ?? 5,
    };
    if (request.params.negative_prompt !== undefined) input.negative_prompt = request.params.negative_prompt;
    if (request.params.seed !== undefined) input.seed = request.params.seed;
    return withProviderInput('wan-video/wan-2.7-t2v', input, request);
  },
  spec: {
    id: 'wan-video/wan-2.7-t2v',
    description: 'Wan 2.7 on Replicate: text to 720p video, 2–15 s',
    capabilities: {
      kind: 'video',
      modes: ['text-to-video'],
      params: ['aspect_ratio', 'duration', 'seed', 'negative_prompt', 'format', 'provider_input'],
      video: { aspectRatios: ['16:9', '9:16', '1:1'], explicitSize: false, width: { min: 1, max: 1 }, height: { min: 1, max: 1 }, duration: { min: 2, max: 15 }, durations: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], maxReferenceImages: 0 },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      cancel: true,
    },
    pricing: [wanPrice],
    estimate: (request) => {
      const seconds = request.params.duration ?? 5;
      return { usd: round(seconds * wanPrice.usd), basis: `${seconds} s × $${wanPrice.usd}` };
    },
  },
};

export const replicateModels: readonly ReplicateModel[] = [flux('flux-schnell', 0.003), flux('flux-dev', 0.025), wan];

export function findReplicateModel(id: string): ReplicateModel | undefined {
  return replicateModels.find((entry) => entry.spec.id === id);
}
