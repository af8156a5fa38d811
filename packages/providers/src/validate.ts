// Checks a normalized request against a model's declared capabilities, so that every provider
// rejects what it cannot honor the same way: a 4xx naming the field and the allowed values.
import { InputError, kindFormats, type GenerationMode, type GenerationParams, type JobKind } from '@mediagate/core';
import type { ImageCapabilities, ImageInput, ModelSpec, ProviderRequest, Range, RemixSource, VideoCapabilities } from './contract.ts';

export interface Dimensions {
  width: number;
  height: number;
}

/** The mode a request asks for, from its kind and whether it carries reference images. */
export function modeFor(kind: JobKind, imageCount: number): GenerationMode {
  if (kind === 'image') return imageCount > 0 ? 'image-to-image' : 'text-to-image';
  if (kind === 'video') return imageCount > 0 ? 'image-to-video' : 'text-to-video';
  return 'text-to-speech';
}

export function parseAspectRatio(value: string): { w: number; h: number } {
  const [w, h] = value.split(':').map(Number);
  if (!w || !h) throw new InputError(`params.aspect_ratio: "${value}" is not like 16:9`, { field: 'params.aspect_ratio' });
  return { w, h };
}

function roundTo(value: number, multiple: number): number {
  return Math.max(multiple, Math.round(value / multiple) * multiple);
}

/**
 * Output size for an image or video: explicit width×height wins, else the aspect ratio with the
 * given short side (1080 makes 1080×1920 stories and 1920×1080 banners), else the first ratio.
 */
export function resolveDimensions(
  params: GenerationParams,
  caps: Pick<ImageCapabilities, 'aspectRatios' | 'multipleOf'>,
  shortSide: number,
): Dimensions {
  if (params.width !== undefined && params.height !== undefined) return { width: params.width, height: params.height };
  const ratio = parseAspectRatio(params.aspect_ratio ?? caps.aspectRatios[0] ?? '1:1');
  const multiple = caps.multipleOf ?? 2;
  if (params.width !== undefined) return { width: params.width, height: roundTo((params.width * ratio.h) / ratio.w, multiple) };
  if (params.height !== undefined) return { width: roundTo((params.height * ratio.w) / ratio.h, multiple), height: params.height };
  if (ratio.w >= ratio.h) return { width: roundTo((shortSide * ratio.w) / ratio.h, multiple), height: shortSide };
  return { width: shortSide, height: roundTo((shortSide * ratio.h) / ratio.w, multiple) };
}

function checkRange(field: string, value: number, range: Range, unit = ''): void {
  if (value < range.min || value > range.max) {
    throw new InputError(`${field}: ${value}${unit} is out of range; allowed ${range.min}–${range.max}${unit}`, {
      field,
      allowed: [range.min, range.max],
    });
  }
}

function checkOneOf(field: string, value: string | number, allowed: readonly (string | number)[]): void {
  if (!allowed.includes(value)) {
    throw new InputError(`${field}: ${JSON.stringify(value)} is not supported; allowed: ${allowed.join(', ')}`, {
      field,
      allowed,
    });
  }
}

function checkVisual(
  request: ProviderRequest,
  caps: ImageCapabilities | VideoCapabilities,
  target: string,
): void {
  const { params } = request;
  if (params.aspect_ratio !== undefined) {
    if (params.width !== undefined && params.height !== undefined) {
      throw new InputError('params.aspect_ratio: give either aspect_ratio or width and height, not both', {
        field: 'params.aspect_ratio',
      });
    }
    checkOneOf('params.aspect_ratio', params.aspect_ratio, caps.aspectRatios);
  }
  const explicit = params.width !== undefined || params.height !== undefined;
  if (explicit && !caps.explicitSize) {
    throw new InputError(`params.width: ${target} takes no explicit size; use aspect_ratio (${caps.aspectRatios.join(', ')})`, {
      field: params.width !== undefined ? 'params.width' : 'params.height',
      allowed: caps.aspectRatios,
    });
  }
  if (params.width !== undefined) checkRange('params.width', params.width, caps.width, 'px');
  if (params.height !== undefined) checkRange('params.height', params.height, caps.height, 'px');
  if (caps.multipleOf !== undefined) {
    for (const field of ['width', 'height'] as const) {
      const value = params[field];
      if (value !== undefined && value % caps.multipleOf !== 0) {
        throw new InputError(`params.${field}: ${value} must be a multiple of ${caps.multipleOf}`, { field: `params.${field}` });
      }
    }
  }
  if (request.images.length > caps.maxReferenceImages) {
    throw new InputError(
      `image: ${target} takes at most ${caps.maxReferenceImages} reference image${caps.maxReferenceImages === 1 ? '' : 's'}, got ${request.images.length}`,
      { field: 'image', allowed: [0, caps.maxReferenceImages] },
    );
  }
}

/** A mask goes with the first reference image, to a model that declares it takes one. */
function checkMask(request: ProviderRequest, accepted: boolean, target: string): void {
  const field = 'mask_asset_id';
  if (!accepted) throw new InputError(`${field}: ${target} takes no mask; leave it out or pick a model whose capabilities say mask`, { field });
  const mask = request.mask as ImageInput;
  const first = request.images[0];
  if (first === undefined) throw new InputError(`${field}: a mask needs the image it applies to; give image_asset_ids or image_urls`, { field });
  if (mask.mime !== 'image/png') {
    throw new InputError(`${field}: the mask is ${mask.mime}; a mask is a PNG with an alpha channel`, { field, allowed: ['image/png'] });
  }
  if (mask.width !== first.width || mask.height !== first.height) {
    throw new InputError(`${field}: the mask is ${mask.width}x${mask.height} but the first reference image is ${first.width}x${first.height}; they must match`, {
      field,
    });
  }
}

/** A remix runs where its source was made, on a model that declares it can remix. */
function checkRemix(source: RemixSource, accepted: boolean, target: string): void {
  const field = 'remix_of';
  const made = `${source.provider}/${source.model}`;
  if (!accepted) throw new InputError(`${field}: ${target} cannot remix; job ${source.jobId} was made by ${made}`, { field });
  if (made !== target) {
    throw new InputError(`${field}: job ${source.jobId} was made by ${made}; a remix runs on that model, not ${target} (leave model out)`, {
      field,
      allowed: [made],
    });
  }
}

/** Throws an InputError when `request` asks `spec` for something it declares it cannot do. */
export function validateAgainstCapabilities(providerId: string, spec: ModelSpec, request: ProviderRequest): void {
  const caps = spec.capabilities;
  const target = `${providerId}/${spec.id}`;
  if (caps.kind !== request.kind) {
    throw new InputError(`model: ${target} makes ${caps.kind}, not ${request.kind}`, { field: 'model' });
  }
  if (request.mask !== undefined) checkMask(request, caps.mask === true, target);
  if (request.remix !== undefined) checkRemix(request.remix, caps.remix === true, target);
  if (!caps.modes.includes(request.mode)) {
    throw new InputError(`${target} does not support ${request.mode}; it supports: ${caps.modes.join(', ')}`, {
      field: request.mode.startsWith('image-to') ? 'image' : 'model',
      allowed: caps.modes,
    });
  }
  const honored = new Set<string>(caps.params);
  for (const [name, value] of Object.entries(request.params)) {
    if (value === undefined) continue;
    if (!honored.has(name)) {
      throw new InputError(`params.${name}: not supported by ${target}; supported: ${caps.params.join(', ') || 'none'}`, {
        field: `params.${name}`,
        allowed: caps.params,
      });
    }
  }
  const { params } = request;
  if (params.n !== undefined) checkRange('params.n', params.n, { min: 1, max: caps.maxN });
  if (params.format !== undefined) {
    const formats = caps.image?.formats ?? caps.speech?.formats ?? kindFormats[request.kind];
    checkOneOf('params.format', params.format, formats);
  }
  if (caps.image) checkVisual(request, caps.image, target);
  if (caps.video) {
    checkVisual(request, caps.video, target);
    if (params.duration !== undefined) {
      if (caps.video.durations) checkOneOf('params.duration', params.duration, caps.video.durations);
      else checkRange('params.duration', params.duration, caps.video.duration, 's');
    }
    if (params.fps !== undefined && caps.video.fps) checkRange('params.fps', params.fps, caps.video.fps);
  }
  if (caps.speech) {
    if (params.voice !== undefined) checkOneOf('params.voice', params.voice, caps.speech.voices);
    if (params.speed !== undefined && caps.speech.speed) checkRange('params.speed', params.speed, caps.speech.speed);
    if (request.prompt.length > caps.speech.maxCharacters) {
      throw new InputError(`prompt: ${request.prompt.length} characters is over ${target}'s limit of ${caps.speech.maxCharacters}`, {
        field: 'prompt',
        allowed: [1, caps.speech.maxCharacters],
      });
    }
  }
}
