// The Luma adapter: Dream Machine video (POST /generations, reference images as keyframes by URL)
// and Photon images (POST /generations/image), state polling on GET /generations/{id} (queued →
// dreaming → completed | failed), and DELETE /generations/{id} to stop and remove one. Bearer key;
// errors `{detail}`.
// API: https://docs.lumalabs.ai/reference (paths as in lumalabs/lumaai-node src/resources/generations/).
import { ProviderError } from '@mediagate/core';
import { z } from 'zod';
import type { CallContext, ImageInput, JsonValue, PollResult, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { request as httpRequest, requestJson, type HttpRequestOptions } from '../http/request.ts';
import { requireKey } from '../http/require-key.ts';
import { lumaAspectRatio, lumaModels, lumaResolution } from './luma-models.ts';

export const lumaBaseURL = 'https://api.lumalabs.ai/dream-machine/v1';

export interface LumaProviderOptions {
  /** Up to and including /dream-machine/v1. */
  baseURL?: string;
  pollIntervalMs?: number;
  attemptTimeoutMs?: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

const generationSchema = z.object({
  id: z.string().min(1),
  state: z.enum(['queued', 'dreaming', 'completed', 'failed']),
  failure_reason: z.string().nullish(),
  assets: z.object({ video: z.string().url().nullish(), image: z.string().url().nullish() }).nullish(),
});
const operationSchema = z.object({ id: z.string().min(1), kind: z.enum(['image', 'video']) });

/** Luma explains refusals in words only; these are the phrases its moderation failures use. */
const moderationPattern = /moderat|safety|inappropriate|prohibited|violat|not allowed/i;

function operation(value: JsonValue): z.infer<typeof operationSchema> {
  const parsed = operationSchema.safeParse(value);
  if (!parsed.success) throw new ProviderError('invalid_input', 'luma: the stored operation handle is not a Luma generation');
  return parsed.data;
}

/** Ray's keyframes: the first reference image opens the video (frame0), a second one closes it (frame1). */
function keyframes(images: readonly ImageInput[]): Record<string, JsonValue> {
  const frames: Record<string, JsonValue> = {};
  images.forEach((image, index) => {
    if (image.url === undefined) {
      // Submit checks MEDIAGATE_PUBLIC_URL on the API; a worker without it (a fleet set up unevenly) ends here.
      throw new ProviderError(
        'invalid_input',
        'luma: Luma fetches keyframe images from a URL and this worker has no public address for them; set MEDIAGATE_PUBLIC_URL (on the workers too) to a base URL of this server Luma can reach',
      );
    }
    frames[`frame${index}`] = { type: 'image', url: image.url };
  });
  return frames;
}

/** The request's fields Luma takes, without keyframes: what can be checked before any link exists. */
function lumaFields(request: ProviderRequest): Record<string, JsonValue> {
  if (request.kind === 'image') {
    return { model: request.model, prompt: request.prompt, aspect_ratio: request.params.aspect_ratio ?? '16:9' };
  }
  return {
    model: request.model,
    prompt: request.prompt,
    aspect_ratio: lumaAspectRatio(request),
    resolution: lumaResolution(request),
    duration: `${request.params.duration ?? 5}s`,
  };
}

/** The JSON body Luma receives for a request; reference images must carry their links (ImageInput.url). */
export function lumaBody(request: ProviderRequest): Record<string, JsonValue> {
  const fields = lumaFields(request);
  return request.images.length === 0 ? fields : { ...fields, keyframes: keyframes(request.images) };
}

export function createLumaProvider(options: LumaProviderOptions = {}): ProviderAdapter {
  const base = (options.baseURL ?? lumaBaseURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;

  function http(ctx: CallContext, extra: HttpRequestOptions = {}): HttpRequestOptions {
    const key = requireKey(ctx, 'luma');
    return {
      ...extra,
      headers: { authorization: `Bearer ${key.secret}` },
      signal: ctx.signal,
      timeoutMs: options.requestTimeoutMs ?? 60_000,
      provider: 'luma',
      isContentPolicy: (body) => moderationPattern.test(body.message ?? ''),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
  }

  return {
    id: 'luma',
    displayName: 'Luma Dream Machine',
    requiresKey: true,
    paid: true,
    models: lumaModels,
    defaultConcurrency: 4,
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 3000,

    // Links to reference images are made by the worker for the attempt; here only the rest is checked.
    validate(request: ProviderRequest): void {
      lumaFields(request);
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const body = lumaBody(request);
      const path = request.kind === 'image' ? '/generations/image' : '/generations';
      const created = await requestJson(`${base}${path}`, { ...http(ctx, { method: 'POST', json: body }), schema: generationSchema });
      return { status: 'pending', operation: { id: created.id, kind: request.kind === 'image' ? 'image' : 'video' } };
    },

    async poll(handle: JsonValue, ctx: CallContext): Promise<PollResult> {
      const { id, kind } = operation(handle);
      const generation = await requestJson(`${base}/generations/${encodeURIComponent(id)}`, { ...http(ctx), schema: generationSchema });
      switch (generation.state) {
        case 'queued':
          return { status: 'pending', progress: 0, message: 'queued' };
        case 'dreaming':
          // Luma reports no percentage while it works.
          return { status: 'pending', message: 'dreaming' };
        case 'completed': {
          const url = kind === 'image' ? generation.assets?.image : generation.assets?.video;
          if (!url) throw new ProviderError('malformed', `luma: generation ${id} completed without an ${kind} asset`);
          return { status: 'completed', outputs: [{ type: 'url', url }] };
        }
        case 'failed': {
          const reason = generation.failure_reason ?? 'no reason given';
          throw new ProviderError(moderationPattern.test(reason) ? 'content_policy' : 'server', `luma: generation ${id} failed: ${reason}`);
        }
      }
    },

    async cancel(handle: JsonValue, ctx: CallContext): Promise<void> {
      // Luma has no separate cancel: deleting the generation stops and removes it.
      await httpRequest(`${base}/generations/${encodeURIComponent(operation(handle).id)}`, http(ctx, { method: 'DELETE' }));
    },
  };
}
