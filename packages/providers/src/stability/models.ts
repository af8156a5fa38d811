// Stability AI's Stable Image models (v2beta generate/ultra, /core, /sd3): capabilities and prices.
// https://platform.stability.ai/docs/api-reference#tag/Generate  Prices: 1 credit = $0.01.
import type { ImageFormat } from '@mediagate/core';
import type { GenerationParams } from '@mediagate/core';
import type { ModelCapabilities, ModelSpec, ProviderRequest } from '../contract.ts';

const pricingSource = 'https://platform.stability.ai/pricing';
const date = '2026-11-21';

/** The aspect_ratio enum shared by ultra, core and sd3 (text-to-image only). */
export const stabilityAspectRatios = ['1:1', '16:9', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21'] as const;

/**
 * Image-to-image requires `strength` (0 keeps the input, 1 ignores it). Mediagate has no
 * normalized param for it, so reference images are sent at this fixed strength.
 */
export const imageToImageStrength = 0.6;

export interface StabilityModel {
  id: string;
  /** The path segment: /v2beta/stable-image/generate/{endpoint}. */
  endpoint: 'ultra' | 'core' | 'sd3';
  /** The sd3 endpoint's `model` field. */
  sd3Model?: string;
  description: string;
  credits: number;
  formats: readonly ImageFormat[];
  imageToImage: boolean;
  negativePrompt: boolean;
}

export const stabilityModelList: readonly StabilityModel[] = [
  { id: 'ultra', endpoint: 'ultra', description: 'Stable Image Ultra: highest quality, 1 MP; image-to-image', credits: 8, formats: ['png', 'jpeg', 'webp'], imageToImage: true, negativePrompt: true },
  { id: 'core', endpoint: 'core', description: 'Stable Image Core: fast and affordable, 1.5 MP, text-to-image', credits: 3, formats: ['png', 'jpeg', 'webp'], imageToImage: false, negativePrompt: true },
  { id: 'sd3.5-large', endpoint: 'sd3', sd3Model: 'sd3.5-large', description: 'Stable Diffusion 3.5 Large, 1 MP; image-to-image', credits: 6.5, formats: ['png', 'jpeg'], imageToImage: true, negativePrompt: true },
  // "negative_prompt does not work with" the turbo/distilled models (sd3 reference).
  { id: 'sd3.5-large-turbo', endpoint: 'sd3', sd3Model: 'sd3.5-large-turbo', description: 'Stable Diffusion 3.5 Large Turbo (4 steps), 1 MP; image-to-image', credits: 4, formats: ['png', 'jpeg'], imageToImage: true, negativePrompt: false },
  { id: 'sd3.5-medium', endpoint: 'sd3', sd3Model: 'sd3.5-medium', description: 'Stable Diffusion 3.5 Medium, 1 MP; image-to-image', credits: 3.5, formats: ['png', 'jpeg'], imageToImage: true, negativePrompt: true },
  { id: 'sd3.5-flash', endpoint: 'sd3', sd3Model: 'sd3.5-flash', description: 'Stable Diffusion 3.5 Flash, 1 MP; image-to-image', credits: 2.5, formats: ['png', 'jpeg'], imageToImage: true, negativePrompt: false },
]; // prettier-ignore

function capabilities(model: StabilityModel): ModelCapabilities {
  const params: (keyof GenerationParams)[] = ['aspect_ratio', 'seed', 'format'];
  if (model.negativePrompt) params.push('negative_prompt');
  return {
    kind: 'image',
    modes: model.imageToImage ? ['text-to-image', 'image-to-image'] : ['text-to-image'],
    params,
    image: {
      aspectRatios: stabilityAspectRatios,
      explicitSize: false,
      width: { min: 64, max: 16384 },
      height: { min: 64, max: 16384 },
      formats: model.formats,
      maxReferenceImages: model.imageToImage ? 1 : 0,
    },
    // One image per call, and n calls would be n charges inside one attempt: submit n jobs.
    maxN: 1,
    defaultFormat: 'png',
    async: false,
    cancel: false,
  };
}

export const stabilityModels: readonly ModelSpec[] = stabilityModelList.map((model) => {
  const usd = model.credits / 100;
  return {
    id: model.id,
    description: model.description,
    capabilities: capabilities(model),
    pricing: [{ basis: 'per_image', usd, applies: `${model.credits} credits per successful generation`, source: pricingSource, date }],
    estimate: (_request: ProviderRequest) => ({ usd, basis: `1 image × ${model.credits} credits ($${usd})` }),
  };
});

export function findStabilityModel(id: string): StabilityModel | undefined {
  return stabilityModelList.find((model) => model.id === id);
}
