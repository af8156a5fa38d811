// Veo through the Gemini API: `models/{model}:predictLongRunning` returns an operation that is
// polled with `GET {name}` until done. Capabilities, prices, the body and the operation's reading.
// https://ai.google.dev/gemini-api/docs/video
import { readFile } from 'node:fs/promises';
import { InputError, ProviderError, type ErrorClass } from '@mediagate/core';
import { z } from 'zod';
import type { ModelSpec, ProviderOutput, ProviderRequest } from '../contract.ts';

const pricingSource = 'https://ai.google.dev/gemini-api/docs/pricing';
const date = '2026-11-21';

type Resolution = '720p' | '1080p' | '4k';

const resolutionSizes: Record<Resolution, { '16:9': [number, number]; '9:16': [number, number] }> = {
  '720p': { '16:9': [1280, 720], '9:16': [720, 1280] },
  '1080p': { '16:9': [1920, 1080], '9:16': [1080, 1920] },
  '4k': { '16:9': [3840, 2160], '9:16': [2160, 3840] },
};

interface VeoModel {
  id: string;
  description: string;
  durations: readonly number[];
  resolutions: readonly Resolution[];
  /** Whether the request may name a resolution (Veo 2 renders 720p and takes no such field). */
  resolutionField: boolean;
  usdPerSecond: number;
}

const veoModels: readonly VeoModel[] = [
  {
    id: 'veo-3.1-generate-preview',
    description: 'Veo 3.1 (preview): video with audio, 4/6/8 s, 720p/1080p/4k (1080p and 4k at 8 s), image-to-video',
    durations: [4, 6, 8],
    resolutions: ['720p', '1080p', '4k'],
    resolutionField: true,
    usdPerSecond: 0.4,
  },
  {
    id: 'veo-3.1-fast-generate-preview',
    description: 'Veo 3.1 Fast (preview): video with audio, 4/6/8 s, 720p/1080p/4k (1080p and 4k at 8 s), image-to-video',
    durations: [4, 6, 8],
    resolutions: ['720p', '1080p', '4k'],
    resolutionField: true,
    usdPerSecond: 0.15,
  },
  {
    id: 'veo-3.0-generate-001',
    description: 'Veo 3: 8 s video with audio, 720p/1080p, image-to-video',
    durations: [8],
    resolutions: ['720p', '1080p'],
    resolutionField: true,
    usdPerSecond: 0.4,
  },
  {
    id: 'veo-3.0-fast-generate-001',
    description: 'Veo 3 Fast: 8 s video with audio, 720p/1080p, image-to-video',
    durations: [8],
    resolutions: ['720p', '1080p'],
    resolutionField: true,
    usdPerSecond: 0.15,
  },
  {
    id: 'veo-2.0-generate-001',
    description: 'Veo 2: 5–8 s silent 720p video, image-to-video',
    durations: [5, 6, 7, 8],
    resolutions: ['720p'],
    resolutionField: false,
    usdPerSecond: 0.35,
  },
];

const defaultDuration = 8;

function find(id: string): VeoModel | undefined {
  return veoModels.find((model) => model.id === id);
}

function sizesOf(model: VeoModel): { resolution: Resolution; aspectRatio: '16:9' | '9:16'; width: number; height: number }[] {
  return model.resolutions.flatMap((resolution) =>
    (['16:9', '9:16'] as const).map((aspectRatio) => {
      const [width, height] = resolutionSizes[resolution][aspectRatio];
      return { resolution, aspectRatio, width, height };
    }),
  );
}

export const geminiVideoModels: readonly ModelSpec[] = veoModels.map((model) => {
  const sizes = sizesOf(model);
  return {
    id: model.id,
    description: model.description,
    capabilities: {
      kind: 'video',
      modes: ['text-to-video', 'image-to-video'],
      params: ['aspect_ratio', 'width', 'height', 'duration', 'negative_prompt', 'format'],
      video: {
        aspectRatios: ['16:9', '9:16'],
        explicitSize: true,
        width: { min: Math.min(...sizes.map((size) => size.width)), max: Math.max(...sizes.map((size) => size.width)) },
        height: { min: Math.min(...sizes.map((size) => size.height)), max: Math.max(...sizes.map((size) => size.height)) },
        duration: { min: Math.min(...model.durations), max: Math.max(...model.durations) },
        durations: model.durations,
        maxReferenceImages: 1,
      },
      maxN: 1,
      defaultFormat: 'mp4',
      async: true,
      // The Gemini API documents no cancel for Veo operations.
      cancel: false,
    },
    pricing: [{ basis: 'per_second', usd: model.usdPerSecond, applies: model.resolutions.join('/'), source: pricingSource, date }],
    estimate(request: ProviderRequest) {
      const seconds = request.params.duration ?? defaultDuration;
      return { usd: Math.round(seconds * model.usdPerSecond * 1e6) / 1e6, basis: `${seconds} s × $${model.usdPerSecond}` };
    },
  };
});

export function isVeoModel(id: string): boolean {
  return find(id) !== undefined;
}

interface VeoShape {
  aspectRatio: '16:9' | '9:16';
  resolution: Resolution | undefined;
  duration: number;
}

/** Aspect ratio, resolution and duration for a request; explicit sizes must be a Veo output size. */
export function veoShape(request: ProviderRequest): VeoShape {
  const model = find(request.model);
  const { width, height, duration = defaultDuration } = request.params;
  const aspectRatio = request.params.aspect_ratio === '9:16' ? '9:16' : '16:9';
  if (!model || (width === undefined && height === undefined)) return { aspectRatio, resolution: undefined, duration };
  const sizes = sizesOf(model);
  const match = sizes.find((size) => size.width === width && size.height === height);
  if (!match) {
    const allowed = sizes.map((size) => `${size.width}x${size.height}`);
    throw new InputError(`params.width: ${width ?? '?'}x${height ?? '?'} is not an output size of google/${model.id}; allowed: ${allowed.join(', ')}`, {
      field: width === undefined ? 'params.height' : 'params.width',
      allowed,
    });
  }
  if (match.resolution !== '720p' && duration !== 8) {
    throw new InputError(`params.duration: google/${model.id} renders ${match.resolution} only at 8 s; allowed at ${match.resolution}: 8`, {
      field: 'params.duration',
      allowed: [8],
    });
  }
  return { aspectRatio: match.aspectRatio, resolution: match.resolution, duration };
}

export async function veoBody(request: ProviderRequest): Promise<Record<string, unknown>> {
  const shape = veoShape(request);
  const instance: Record<string, unknown> = { prompt: request.prompt };
  const image = request.images[0];
  if (image) instance.image = { bytesBase64Encoded: (await readFile(image.path)).toString('base64'), mimeType: image.mime };
  const parameters: Record<string, unknown> = { aspectRatio: shape.aspectRatio, durationSeconds: shape.duration };
  if (shape.resolution !== undefined && find(request.model)?.resolutionField) parameters.resolution = shape.resolution;
  if (request.params.negative_prompt !== undefined) parameters.negativePrompt = request.params.negative_prompt;
  return { instances: [instance], parameters };
}

export const operationSchema = z.object({
  name: z.string().min(1),
  done: z.boolean().optional(),
  error: z.object({ code: z.number().optional(), message: z.string().optional(), status: z.string().optional() }).optional(),
  response: z
    .object({
      generateVideoResponse: z
        .object({
          generatedSamples: z.array(z.object({ video: z.object({ uri: z.string().optional() }).optional() })).optional(),
          raiMediaFilteredCount: z.number().optional(),
          raiMediaFilteredReasons: z.array(z.string()).optional(),
        })
        .optional(),
    })
    .optional(),
});
export type VeoOperation = z.infer<typeof operationSchema>;

/** Operation names as the API issues them; anything else is not ours to request with a key. */
const operationName = /^models\/[A-Za-z0-9.\-_]+\/operations\/[A-Za-z0-9.\-_]+$/;

export function storedOperationName(operation: unknown): string {
  const name = (operation as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || !operationName.test(name)) {
    throw new ProviderError('malformed', `google: the stored Veo operation handle is not an operation name: ${JSON.stringify(name)}`);
  }
  return name;
}

/** google.rpc.Code numbers an operation's error may carry. */
const rpcClasses: Record<number, ErrorClass> = { 3: 'invalid_input', 4: 'timeout', 7: 'auth', 8: 'rate_limited', 16: 'auth' };

/**
 * The outputs of a finished operation. `keyHeaders` go only to the API's own origin: the video
 * URI needs the key to download, and no other host may see it.
 */
export function veoOutputs(operation: VeoOperation, apiOrigin: string, keyHeaders: Record<string, string>): ProviderOutput[] {
  const label = `google: Veo operation ${operation.name}`;
  if (operation.error) {
    const code = operation.error.code ?? 13;
    const status = operation.error.status ?? String(code);
    throw new ProviderError(rpcClasses[code] ?? 'server', `${label} failed: ${operation.error.message ?? 'no message'} (${status})`, { providerCode: status });
  }
  const result = operation.response?.generateVideoResponse;
  const uris = (result?.generatedSamples ?? []).flatMap((sample) => (sample.video?.uri ? [sample.video.uri] : []));
  if (uris.length === 0) {
    if ((result?.raiMediaFilteredCount ?? 0) > 0 || (result?.raiMediaFilteredReasons?.length ?? 0) > 0) {
      const reasons = result?.raiMediaFilteredReasons?.join('; ') ?? 'no reason given';
      throw new ProviderError('content_policy', `${label}: the video was filtered by Google's safety filters: ${reasons}`, {
        providerCode: 'RAI_MEDIA_FILTERED',
      });
    }
    throw new ProviderError('malformed', `${label} is done without an error or a video URI`);
  }
  return uris.map((uri) => {
    let sameOrigin = false;
    try {
      sameOrigin = new URL(uri).origin === apiOrigin;
    } catch {
      throw new ProviderError('malformed', `${label}: video URI is not a URL`);
    }
    return { type: 'url', url: uri, ...(sameOrigin ? { headers: keyHeaders } : {}) };
  });
}
