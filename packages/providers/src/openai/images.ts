// OpenAI image generations and edits: normalized params → `/images/generations` (JSON) or
// `/images/edits` (multipart, reference images as image[], the mask as mask), answers read as base64 images.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ProviderError, formatMime } from '@mediagate/core';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { z } from 'zod';
import type { CallContext, ProviderRequest, SubmitResult } from '../contract.ts';
import { call } from './client.ts';
import { fixedSizes, gptImage2, imageFamily, imageSize, qualities, type ImageFamily } from './models.ts';

const imagesResponseSchema = z.object({
  data: z.array(z.object({ b64_json: z.string().min(1) })).min(1),
});

/** Prompt limits (https://platform.openai.com/docs/api-reference/images/create). */
const maxPrompt: Record<ImageFamily, number> = { 'gpt-image': 32000, 'gpt-image-2': 32000, 'dall-e-3': 4000 };

function familyOf(model: string): ImageFamily {
  const family = imageFamily[model];
  if (family === undefined) throw new InputError(`model: openai has no image model ${JSON.stringify(model)}`, { field: 'model' });
  return family;
}

/** The mask must be "a valid PNG file, less than 4MB" (images/edits reference, `mask`). */
const maxMaskBytes = 4 * 1024 * 1024;

/** Rules the capability declaration cannot express: exact size sets, gpt-image-2's grid and ratio, quality names, mask size. */
export function validateImage(request: ProviderRequest): void {
  const family = familyOf(request.model);
  if (request.mask !== undefined) {
    const bytes = statSync(request.mask.path, { throwIfNoEntry: false })?.size ?? 0;
    if (bytes >= maxMaskBytes) {
      throw new InputError(`mask_asset_id: the mask is ${bytes} bytes; openai/${request.model} takes a mask under 4 MB (${maxMaskBytes} bytes)`, {
        field: 'mask_asset_id',
        allowed: [0, maxMaskBytes - 1],
      });
    }
  }
  const { width, height, quality } = request.params;
  if ((width === undefined) !== (height === undefined)) {
    throw new InputError(`params.${width === undefined ? 'height' : 'width'}: openai/${request.model} needs width and height together`, {
      field: width === undefined ? 'params.height' : 'params.width',
    });
  }
  if (width !== undefined && height !== undefined) {
    if (family === 'gpt-image-2') {
      const long = Math.max(width, height);
      const short = Math.min(width, height);
      if (long > gptImage2.maxLongSide || short > gptImage2.maxShortSide || long / short > 3) {
        throw new InputError(
          `params.width: ${width}x${height} is not allowed for openai/gpt-image-2; sides multiples of 16, at most 3840x2160, aspect ratio between 1:3 and 3:1`,
          { field: 'params.width' },
        );
      }
    } else {
      const allowed = Object.values(fixedSizes[family]);
      if (!allowed.includes(`${width}x${height}`)) {
        throw new InputError(`params.width: ${width}x${height} is not supported by openai/${request.model}; allowed: ${allowed.join(', ')}`, {
          field: 'params.width',
          allowed,
        });
      }
    }
  }
  if (quality !== undefined && !qualities[family].includes(quality)) {
    throw new InputError(`params.quality: "${quality}" is not supported by openai/${request.model}; allowed: ${qualities[family].join(', ')}`, {
      field: 'params.quality',
      allowed: qualities[family],
    });
  }
  if (request.prompt.length > maxPrompt[family]) {
    throw new InputError(`prompt: ${request.prompt.length} characters is over openai/${request.model}'s limit of ${maxPrompt[family]}`, {
      field: 'prompt',
      allowed: [1, maxPrompt[family]],
    });
  }
}

/** The body fields shared by generations and edits, exactly as the API names them. */
export function imageBody(request: ProviderRequest): Record<string, string | number> {
  const family = familyOf(request.model);
  const { params } = request;
  const body: Record<string, string | number> = {
    model: request.model,
    prompt: request.prompt,
    n: params.n ?? 1,
    size: imageSize(family, params),
  };
  if (params.quality !== undefined) body.quality = params.quality;
  if (family === 'dall-e-3') {
    // DALL·E answers URLs by default; base64 spares a second download.
    body.response_format = 'b64_json';
  } else if (params.format !== undefined) {
    body.output_format = params.format;
  }
  return body;
}

export async function generateImages(client: OpenAI, request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
  const body = imageBody(request);
  let answer: unknown;
  if (request.images.length === 0) {
    answer = await call(ctx, 'POST /images/generations', (signal) =>
      client.images.generate(body as unknown as OpenAI.ImageGenerateParamsNonStreaming, { signal }),
    );
  } else {
    const files = await Promise.all(
      request.images.map(async (image, index) =>
        toFile(await readFile(image.path), `image-${index + 1}${path.extname(image.path) || '.png'}`, { type: image.mime }),
      ),
    );
    // Applied by OpenAI to the first image; same size as it (checked at submit).
    const mask = request.mask === undefined ? undefined : await toFile(await readFile(request.mask.path), 'mask.png', { type: 'image/png' });
    answer = await call(ctx, 'POST /images/edits', (signal) =>
      client.images.edit({ ...body, image: files, ...(mask ? { mask } : {}) } as unknown as OpenAI.ImageEditParamsNonStreaming, { signal }),
    );
  }
  const parsed = imagesResponseSchema.safeParse(answer);
  if (!parsed.success) throw new ProviderError('malformed', 'openai: the images answer has no data[].b64_json');
  const mime = formatMime[request.params.format ?? 'png'];
  return {
    status: 'completed',
    outputs: parsed.data.data.map((item) => ({ type: 'bytes' as const, data: Buffer.from(item.b64_json, 'base64'), mime })),
  };
}
