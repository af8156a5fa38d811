// The Stability AI adapter: one multipart POST per image to /v2beta/stable-image/generate/{ultra|core|sd3}
// with `accept: image/*`, so the answer is the image bytes with `finish-reason` and `seed` headers
// (no base64 inflation); a CONTENT_FILTERED finish reason is a content-policy refusal.
import { readFile } from 'node:fs/promises';
import { InputError, ProviderError } from '@mediagate/core';
import type { CallContext, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { request as httpRequest } from '../http/request.ts';
import { findStabilityModel, imageToImageStrength, stabilityModelList, stabilityModels, type StabilityModel } from './models.ts';

export const defaultStabilityBaseURL = 'https://api.stability.ai';

/** "If you exceed this limit, you will receive a 429 response and be timed out for 60 seconds." */
const rateLimitTimeoutMs = 60_000;
/** The API's seed range: 0 asks for a random seed. */
const maxSeed = 4294967294;

export interface StabilityProviderOptions {
  /** Default https://api.stability.ai. */
  baseURL?: string;
  /** Unused: every call is synchronous. Accepted for the registry's common options. */
  pollIntervalMs?: number;
  /** Upper bound for one attempt (default 2 min). */
  attemptTimeoutMs?: number;
  /** Upper bound for one HTTP request (default: the attempt timeout). */
  requestTimeoutMs?: number;
  defaultConcurrency?: number;
  fetch?: typeof fetch;
}

function model(id: string): StabilityModel {
  const found = findStabilityModel(id);
  if (!found) {
    throw new InputError(`model: stability has no model "${id}"`, { field: 'model', allowed: stabilityModelList.map((entry) => `stability/${entry.id}`) });
  }
  return found;
}

/** The multipart form the generate endpoints take. */
export async function stabilityForm(request: ProviderRequest): Promise<FormData> {
  const spec = model(request.model);
  const { params } = request;
  const form = new FormData();
  form.set('prompt', request.prompt);
  if (params.negative_prompt !== undefined) form.set('negative_prompt', params.negative_prompt);
  if (params.aspect_ratio !== undefined) form.set('aspect_ratio', params.aspect_ratio);
  if (params.seed !== undefined) form.set('seed', String(params.seed));
  form.set('output_format', params.format ?? 'png');
  if (spec.sd3Model !== undefined) form.set('model', spec.sd3Model);
  const image = request.images[0];
  if (spec.endpoint === 'sd3') form.set('mode', image ? 'image-to-image' : 'text-to-image');
  if (image) {
    const name = `image.${image.mime.split('/')[1] ?? 'png'}`;
    form.set('image', new Blob([await readFile(image.path)], { type: image.mime }), name);
    form.set('strength', String(imageToImageStrength));
  }
  return form;
}

export function createStabilityProvider(options: StabilityProviderOptions = {}): ProviderAdapter {
  const base = (options.baseURL ?? defaultStabilityBaseURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 120_000;

  return {
    id: 'stability',
    displayName: 'Stability AI (Stable Image Ultra, Core, SD 3.5)',
    requiresKey: true,
    paid: true,
    models: stabilityModels,
    defaultConcurrency: options.defaultConcurrency ?? 8,
    attemptTimeoutMs,

    validate(request: ProviderRequest): void {
      if (request.params.seed !== undefined && request.params.seed > maxSeed) {
        throw new InputError(`params.seed: ${request.params.seed} is out of range; allowed 0–${maxSeed}`, { field: 'params.seed', allowed: [0, maxSeed] });
      }
      if (request.images.length > 0 && request.params.aspect_ratio !== undefined) {
        throw new InputError('params.aspect_ratio: with a reference image the output keeps the image\'s aspect ratio; leave aspect_ratio out', {
          field: 'params.aspect_ratio',
        });
      }
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const spec = model(request.model);
      if (!ctx.key) throw new ProviderError('auth', 'stability: no API key for this attempt (set MEDIAGATE_KEYS_STABILITY)');
      let answer;
      try {
        answer = await httpRequest(`${base}/v2beta/stable-image/generate/${spec.endpoint}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ctx.key.secret}`, accept: 'image/*' },
          body: await stabilityForm(request),
          signal: ctx.signal,
          timeoutMs: options.requestTimeoutMs ?? attemptTimeoutMs,
          provider: 'stability',
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
      } catch (error) {
        if (error instanceof ProviderError && error.errorClass === 'rate_limited' && error.retryAfterMs === undefined) {
          throw new ProviderError('rate_limited', error.message, { status: error.status, providerCode: error.providerCode, retryAfterMs: rateLimitTimeoutMs, cause: error });
        }
        throw error;
      }
      const finishReason = answer.headers.get('finish-reason') ?? 'SUCCESS';
      if (finishReason === 'CONTENT_FILTERED') {
        throw new ProviderError('content_policy', `stability/${spec.id}: the image was filtered by content moderation (finish-reason CONTENT_FILTERED)`, {
          status: answer.status,
          providerCode: finishReason,
        });
      }
      const mime = answer.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (finishReason !== 'SUCCESS' || !mime?.startsWith('image/') || answer.body.length === 0) {
        throw new ProviderError('malformed', `stability/${spec.id}: HTTP ${answer.status} answered ${mime ?? 'no content type'} (${answer.body.length} bytes, finish-reason ${finishReason}), not an image`, {
          status: answer.status,
        });
      }
      return { status: 'completed', outputs: [{ type: 'bytes', data: answer.body, mime }] };
    },
  };
}
