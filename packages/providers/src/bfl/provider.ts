// The Black Forest Labs adapter: POST /v1/{model} with the x-key header returns {id, polling_url};
// the task is polled at that polling_url (which may name a regional host) until Ready, and the
// short-lived signed `result.sample` URL is handed to the worker to download at once.
// https://docs.bfl.ai/quick_start/generating_images
import { readFile } from 'node:fs/promises';
import { InputError, ProviderError } from '@mediagate/core';
import { z } from 'zod';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderKey, ProviderRequest, SubmitResult } from '../contract.ts';
import { requestJson } from '../http/request.ts';
import { bflModelList, bflModels, bflRatioSizes, findBflModel, type BflModel } from './models.ts';

export const defaultBflBaseURL = 'https://api.bfl.ai';

export interface BflProviderOptions {
  /** Default https://api.bfl.ai (the global endpoint; api.eu.bfl.ai and api.us.bfl.ai also work). */
  baseURL?: string;
  /** Between polls (default 500 ms, as BFL's examples poll). */
  pollIntervalMs?: number;
  /** Upper bound for one attempt (default 5 min). */
  attemptTimeoutMs?: number;
  /** Upper bound for one HTTP request (default 60 s). */
  requestTimeoutMs?: number;
  /** safety_tolerance 0 (strictest) – 6 for every request; BFL's default (2) when unset. */
  safetyTolerance?: number;
  /** prompt_upsampling for every request; BFL's default (off) when unset. */
  promptUpsampling?: boolean;
  defaultConcurrency?: number;
  fetch?: typeof fetch;
}

const submittedSchema = z.object({ id: z.string().min(1), polling_url: z.string().min(1) });
const resultSchema = z.object({
  id: z.string().optional(),
  status: z.string(),
  result: z.object({ sample: z.string().optional() }).passthrough().nullable().optional(),
  progress: z.number().nullable().optional(),
  details: z.unknown().optional(),
});
const operationSchema = z.object({ id: z.string().min(1), pollingUrl: z.string().min(1) });

function model(id: string): BflModel {
  const found = findBflModel(id);
  if (!found) throw new InputError(`model: bfl has no model "${id}"`, { field: 'model', allowed: bflModelList.map((entry) => `bfl/${entry.id}`) });
  return found;
}

/** The JSON body for POST /v1/{model}. */
export async function bflBody(request: ProviderRequest, options: Pick<BflProviderOptions, 'safetyTolerance' | 'promptUpsampling'> = {}): Promise<Record<string, unknown>> {
  const spec = model(request.model);
  const { params } = request;
  const body: Record<string, unknown> = { prompt: request.prompt };
  if (spec.sizing === 'pixels') {
    const [width, height] =
      params.width !== undefined && params.height !== undefined ? [params.width, params.height] : bflRatioSizes[(params.aspect_ratio ?? '1:1') as keyof typeof bflRatioSizes];
    body.width = width;
    body.height = height;
  } else if (params.aspect_ratio !== undefined) {
    body.aspect_ratio = params.aspect_ratio;
  }
  if (params.seed !== undefined) body.seed = params.seed;
  body.output_format = params.format ?? 'jpeg';
  if (options.safetyTolerance !== undefined) body.safety_tolerance = options.safetyTolerance;
  if (options.promptUpsampling !== undefined) body.prompt_upsampling = options.promptUpsampling;
  const images = await Promise.all(request.images.map(async (image) => (await readFile(image.path)).toString('base64')));
  images.forEach((data, index) => {
    if (spec.referenceField === 'image_prompt') body.image_prompt = data;
    else if (spec.referenceField === 'input_image') body[index === 0 ? 'input_image' : `input_image_${index + 1}`] = data;
  });
  return body;
}

/** BFL's hosts, or the configured base's origin: the key is sent to a polling_url only there. */
function trustedPollingUrl(value: string, base: URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProviderError('malformed', `bfl: polling_url is not a URL: ${JSON.stringify(value.slice(0, 100))}`);
  }
  const bflHost = url.protocol === 'https:' && /(^|\.)bfl\.(ai|ml)$/.test(url.hostname);
  if (!bflHost && url.origin !== base.origin) {
    throw new ProviderError('malformed', `bfl: polling_url points at ${url.origin}, which is neither BFL nor ${base.origin}; not sending the key there`);
  }
  return url;
}

export function createBflProvider(options: BflProviderOptions = {}): ProviderAdapter {
  const base = new URL((options.baseURL ?? defaultBflBaseURL).replace(/\/+$/, ''));
  const baseText = base.href.replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 300_000;

  function http(key: ProviderKey, ctx: CallContext) {
    return {
      headers: { 'x-key': key.secret },
      signal: ctx.signal,
      timeoutMs: options.requestTimeoutMs ?? 60_000,
      provider: 'bfl',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
  }

  function requireKey(ctx: CallContext): ProviderKey {
    if (!ctx.key) throw new ProviderError('auth', 'bfl: no API key for this attempt (set MEDIAGATE_KEYS_BFL)');
    return ctx.key;
  }

  return {
    id: 'bfl',
    displayName: 'Black Forest Labs (FLUX pro, ultra, kontext)',
    requiresKey: true,
    paid: true,
    models: bflModels,
    defaultConcurrency: options.defaultConcurrency ?? 24, // BFL allows 24 active tasks per key
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 500,

    validate(request: ProviderRequest): void {
      const { width, height } = request.params;
      if ((width === undefined) !== (height === undefined)) {
        const field = width === undefined ? 'params.width' : 'params.height';
        throw new InputError(`${field}: bfl/${request.model} needs both width and height (multiples of 32, 256–1440), or an aspect_ratio`, { field });
      }
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const key = requireKey(ctx);
      const body = await bflBody(request, options);
      const submitted = await requestJson(`${baseText}/v1/${encodeURIComponent(model(request.model).id)}`, {
        ...http(key, ctx),
        method: 'POST',
        json: body,
        schema: submittedSchema,
      });
      trustedPollingUrl(submitted.polling_url, base);
      return { status: 'pending', operation: { id: submitted.id, pollingUrl: submitted.polling_url } };
    },

    async poll(operation: JsonValue, ctx: CallContext): Promise<PollResult> {
      const stored = operationSchema.safeParse(operation);
      if (!stored.success) throw new ProviderError('malformed', 'bfl: the stored task handle has no id and polling_url');
      const key = requireKey(ctx);
      const url = trustedPollingUrl(stored.data.pollingUrl, base);
      const view = await requestJson(url, { ...http(key, ctx), schema: resultSchema });
      const label = `bfl: task ${stored.data.id}`;
      switch (view.status) {
        case 'Pending': {
          const progress = view.progress ?? undefined;
          if (progress === undefined) return { status: 'pending' };
          // A fraction 0–1 as BFL reports it; a value above 1 is read as a percentage.
          const fraction = progress > 1 ? progress / 100 : progress;
          return { status: 'pending', progress: Math.round(Math.min(1, Math.max(0, fraction)) * 100) };
        }
        case 'Ready': {
          const sample = view.result?.sample;
          if (!sample) throw new ProviderError('malformed', `${label} is Ready without result.sample`);
          return { status: 'completed', outputs: [{ type: 'url', url: sample }] };
        }
        case 'Request Moderated':
        case 'Content Moderated':
          throw new ProviderError('content_policy', `${label}: ${view.status} by BFL's moderation`, { providerCode: view.status.replace(' ', '_') });
        case 'Error':
        case 'Failed':
          throw new ProviderError('server', `${label} failed at BFL (${view.status})${view.details === undefined ? '' : `: ${JSON.stringify(view.details).slice(0, 200)}`}`, {
            providerCode: view.status,
          });
        case 'Task not found':
          // Results are kept for a limited time, and a task exists only in the region that made it.
          throw new ProviderError('server', `${label} not found (expired, or polled outside its region)`, { providerCode: 'Task_not_found' });
        default:
          throw new ProviderError('malformed', `${label} has an undocumented status ${JSON.stringify(view.status)}`);
      }
    },
  };
}
