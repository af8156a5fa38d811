// Gemini image models (generateContent with responseModalities IMAGE): capabilities, the exact
// output sizes per aspect ratio and image size, prices, and the request body.
// https://ai.google.dev/gemini-api/docs/image-generation
import { readFile } from 'node:fs/promises';
import { InputError } from '@mediagate/core';
import type { ModelCapabilities, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';

const pricingSource = 'https://ai.google.dev/gemini-api/docs/pricing';
const date = '2026-11-21';

type ImageSize = '1K' | '2K' | '4K';

/** Output pixels per aspect ratio at 1K, from the image-generation guide's resolution tables. */
const flash25Sizes: Record<string, [number, number]> = {
  '1:1': [1024, 1024],
  '2:3': [832, 1248],
  '3:2': [1248, 832],
  '3:4': [864, 1184],
  '4:3': [1184, 864],
  '4:5': [896, 1152],
  '5:4': [1152, 896],
  '9:16': [768, 1344],
  '16:9': [1344, 768],
  '21:9': [1536, 672],
};
const gemini3Sizes: Record<string, [number, number]> = {
  '1:1': [1024, 1024],
  '2:3': [848, 1264],
  '3:2': [1264, 848],
  '3:4': [896, 1200],
  '4:3': [1200, 896],
  '4:5': [928, 1152],
  '5:4': [1152, 928],
  '9:16': [768, 1376],
  '16:9': [1376, 768],
  '21:9': [1584, 672],
};
const scale: Record<ImageSize, number> = { '1K': 1, '2K': 2, '4K': 4 };

export interface SizeChoice {
  aspectRatio: string;
  imageSize: ImageSize;
  width: number;
  height: number;
}

interface GeminiImageModel {
  id: string;
  description: string;
  aspectRatios: readonly string[];
  /** Output sizes at 1K; 2K and 4K scale them by 2 and 4. */
  sizes: Record<string, [number, number]>;
  imageSizes: readonly ImageSize[];
  maxReferenceImages: number;
  prices: Record<ImageSize, number>;
}

const baseRatios = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'] as const;

const models: readonly GeminiImageModel[] = [
  {
    id: 'gemini-2.5-flash-image',
    description: 'Gemini 2.5 Flash Image: text-to-image and editing with up to 3 reference images, 1K output',
    aspectRatios: baseRatios,
    sizes: flash25Sizes,
    imageSizes: ['1K'],
    maxReferenceImages: 3,
    // 1,290 output tokens per image at $30 / 1M tokens.
    prices: { '1K': 0.039, '2K': 0.039, '4K': 0.039 },
  },
  {
    id: 'gemini-3-pro-image-preview',
    description: 'Gemini 3 Pro Image (preview): 1K/2K/4K output, up to 14 reference images',
    aspectRatios: baseRatios,
    sizes: gemini3Sizes,
    imageSizes: ['1K', '2K', '4K'],
    maxReferenceImages: 14,
    prices: { '1K': 0.134, '2K': 0.134, '4K': 0.24 },
  },
  {
    id: 'gemini-3.1-flash-image-preview',
    description: 'Gemini 3.1 Flash Image (preview): 1K/2K/4K output, extra-wide ratios, up to 14 reference images',
    aspectRatios: [...baseRatios, '1:4', '4:1', '1:8', '8:1'],
    sizes: gemini3Sizes,
    imageSizes: ['1K', '2K', '4K'],
    maxReferenceImages: 14,
    prices: { '1K': 0.067, '2K': 0.101, '4K': 0.151 },
  },
];

function explicitSizes(model: GeminiImageModel): SizeChoice[] {
  return model.imageSizes.flatMap((imageSize) =>
    Object.entries(model.sizes).map(([aspectRatio, [width, height]]) => ({
      aspectRatio,
      imageSize,
      width: width * scale[imageSize],
      height: height * scale[imageSize],
    })),
  );
}

function capabilities(model: GeminiImageModel): ModelCapabilities {
  const sizes = explicitSizes(model);
  const widths = sizes.map((size) => size.width);
  const heights = sizes.map((size) => size.height);
  return {
    kind: 'image',
    modes: ['text-to-image', 'image-to-image'],
    params: ['aspect_ratio', 'width', 'height', 'seed', 'format'],
    image: {
      aspectRatios: model.aspectRatios,
      explicitSize: true,
      width: { min: Math.min(...widths), max: Math.max(...widths) },
      height: { min: Math.min(...heights), max: Math.max(...heights) },
      formats: ['png'],
      maxReferenceImages: model.maxReferenceImages,
    },
    // One image per call and no candidateCount for images: n > 1 would be n paid calls in one
    // attempt, and a retry after the third would pay for the first two again. Submit n jobs.
    maxN: 1,
    defaultFormat: 'png',
    async: false,
    cancel: false,
  };
}

function find(id: string): GeminiImageModel | undefined {
  return models.find((model) => model.id === id);
}

/** The aspect ratio and image size a request maps to; explicit sizes must be a documented output size. */
export function chooseImageSize(request: ProviderRequest): SizeChoice | { aspectRatio: string | undefined; imageSize: undefined } {
  const model = find(request.model);
  const { width, height, aspect_ratio: aspectRatio } = request.params;
  if (!model || (width === undefined && height === undefined)) return { aspectRatio, imageSize: undefined };
  const sizes = explicitSizes(model);
  const match = sizes.find((size) => size.width === width && size.height === height);
  if (!match) {
    const allowed = sizes.map((size) => `${size.width}x${size.height}`);
    throw new InputError(
      `params.width: ${width ?? '?'}x${height ?? '?'} is not an output size of google/${model.id}; use aspect_ratio (${model.aspectRatios.join(', ')}) or one of ${allowed.join(', ')}`,
      { field: width === undefined ? 'params.height' : 'params.width', allowed },
    );
  }
  return match;
}

function priceEntries(model: GeminiImageModel): PriceEntry[] {
  return model.imageSizes.map((size) => ({ basis: 'per_image', usd: model.prices[size], applies: `${size} output`, source: pricingSource, date }));
}

export const geminiImageModels: readonly ModelSpec[] = models.map((model) => ({
  id: model.id,
  description: model.description,
  capabilities: capabilities(model),
  pricing: priceEntries(model),
  estimate(request: ProviderRequest) {
    const choice = chooseImageSize(request);
    const size = choice.imageSize ?? '1K';
    const usd = model.prices[size];
    return { usd, basis: `1 image (${size}) × $${usd}` };
  },
}));

export function isGeminiImageModel(id: string): boolean {
  return find(id) !== undefined;
}

/** The generateContent body: prompt text, reference images as inline data, IMAGE output config. */
export async function geminiImageBody(request: ProviderRequest): Promise<Record<string, unknown>> {
  const choice = chooseImageSize(request);
  const images = await Promise.all(
    request.images.map(async (image) => ({ inlineData: { mimeType: image.mime, data: (await readFile(image.path)).toString('base64') } })),
  );
  const imageConfig: Record<string, string> = {};
  if (choice.aspectRatio !== undefined) imageConfig.aspectRatio = choice.aspectRatio;
  // gemini-2.5-flash-image has no imageSize field: it always renders 1K.
  if (choice.imageSize !== undefined && find(request.model)?.imageSizes.length !== 1) imageConfig.imageSize = choice.imageSize;
  const generationConfig: Record<string, unknown> = { responseModalities: ['IMAGE'] };
  if (Object.keys(imageConfig).length > 0) generationConfig.imageConfig = imageConfig;
  if (request.params.seed !== undefined) generationConfig.seed = request.params.seed;
  return { contents: [{ role: 'user', parts: [{ text: request.prompt }, ...images] }], generationConfig };
}
