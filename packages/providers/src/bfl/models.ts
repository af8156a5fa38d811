// Black Forest Labs FLUX models on api.bfl.ai: capabilities, the width/height or aspect_ratio each
// endpoint takes, and prices. https://docs.bfl.ai/api-reference  Prices: https://bfl.ai/pricing
import type { GenerationParams } from '@mediagate/core';
import type { ModelCapabilities, ModelSpec, ProviderRequest } from '../contract.ts';

const pricingSource = 'https://bfl.ai/pricing';
const date = '2026-11-21';

/** Ratios the aspect_ratio endpoints take (ultra: 21:9 to 9:21; kontext: 3:7 to 7:3). */
export const bflAspectRatios = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '5:4', '4:5', '21:9', '9:21'] as const;

/**
 * For the width/height endpoints (flux-pro-1.1, flux-dev: multiples of 32 in 256–1440), the
 * about-one-megapixel size used for each ratio when no explicit size is given.
 */
export const bflRatioSizes: Record<(typeof bflAspectRatios)[number], [number, number]> = {
  '1:1': [1024, 1024],
  '16:9': [1344, 768],
  '9:16': [768, 1344],
  '4:3': [1152, 864],
  '3:4': [864, 1152],
  '3:2': [1216, 832],
  '2:3': [832, 1216],
  '5:4': [1120, 896],
  '4:5': [896, 1120],
  '21:9': [1440, 608],
  '9:21': [608, 1440],
};

export interface BflModel {
  id: string;
  description: string;
  /** width/height in pixels, or an aspect_ratio string. */
  sizing: 'pixels' | 'aspect_ratio';
  /** Request field for reference images: kontext's input_image(_2…_4), ultra's image_prompt (Redux). */
  referenceField: 'input_image' | 'image_prompt' | undefined;
  maxReferenceImages: number;
  usd: number;
}

export const bflModelList: readonly BflModel[] = [
  { id: 'flux-pro-1.1', description: 'FLUX1.1 [pro]: text-to-image, 256–1440 px sides in multiples of 32', sizing: 'pixels', referenceField: undefined, maxReferenceImages: 0, usd: 0.04 },
  { id: 'flux-pro-1.1-ultra', description: 'FLUX1.1 [pro] Ultra: 4 MP by aspect ratio; one image prompt (Redux)', sizing: 'aspect_ratio', referenceField: 'image_prompt', maxReferenceImages: 1, usd: 0.06 },
  { id: 'flux-kontext-pro', description: 'FLUX.1 Kontext [pro]: text-to-image and editing with up to 4 input images', sizing: 'aspect_ratio', referenceField: 'input_image', maxReferenceImages: 4, usd: 0.04 },
  { id: 'flux-kontext-max', description: 'FLUX.1 Kontext [max]: highest-quality editing with up to 4 input images', sizing: 'aspect_ratio', referenceField: 'input_image', maxReferenceImages: 4, usd: 0.08 },
  { id: 'flux-dev', description: 'FLUX.1 [dev]: text-to-image, 256–1440 px sides in multiples of 32', sizing: 'pixels', referenceField: undefined, maxReferenceImages: 0, usd: 0.025 },
]; // prettier-ignore

function capabilities(model: BflModel): ModelCapabilities {
  const params: (keyof GenerationParams)[] = ['aspect_ratio', 'seed', 'format'];
  if (model.sizing === 'pixels') params.push('width', 'height');
  return {
    kind: 'image',
    modes: model.maxReferenceImages > 0 ? ['text-to-image', 'image-to-image'] : ['text-to-image'],
    params,
    image: {
      aspectRatios: bflAspectRatios,
      explicitSize: model.sizing === 'pixels',
      width: { min: 256, max: 1440 },
      height: { min: 256, max: 1440 },
      multipleOf: 32,
      formats: ['jpeg', 'png'],
      maxReferenceImages: model.maxReferenceImages,
    },
    // One image per task.
    maxN: 1,
    defaultFormat: 'jpeg',
    async: true,
    // BFL documents no way to stop a submitted task.
    cancel: false,
  };
}

export const bflModels: readonly ModelSpec[] = bflModelList.map((model) => ({
  id: model.id,
  description: model.description,
  capabilities: capabilities(model),
  pricing: [{ basis: 'per_image', usd: model.usd, source: pricingSource, date }],
  estimate: (_request: ProviderRequest) => ({ usd: model.usd, basis: `1 image × $${model.usd}` }),
}));

export function findBflModel(id: string): BflModel | undefined {
  return bflModelList.find((model) => model.id === id);
}
