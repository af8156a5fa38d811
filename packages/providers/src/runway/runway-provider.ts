// The Runway adapter: starts a generation task (text_to_image, image_to_video, text_to_video),
// polls GET /v1/tasks/{id} no faster than Runway asks (5 s), and cancels with DELETE /v1/tasks/{id}.
// API: https://docs.dev.runwayml.com/api/ (task shapes as in runwayml/sdk-node src/resources/tasks.ts).
import { readFile } from 'node:fs/promises';
import { InputError, ProviderError } from '@mediagate/core';
import { z } from 'zod';
import type { CallContext, ImageInput, JsonValue, PollResult, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { requestJson, request as httpRequest, type HttpRequestOptions } from '../http/request.ts';
import { requireKey } from '../http/require-key.ts';
import { findRunwayModel, runwayModels, runwayRatio, type RunwayModel } from './runway-models.ts';

export const runwayBaseURL = 'https://api.dev.runwayml.com';
/** The API version every request names (header X-Runway-Version). */
export const runwayApiVersion = '2024-11-06';
/** Runway: "Consumers of this API should not expect updates more frequent than once every five seconds". */
export const runwayMinPollMs = 5000;
/** Runway takes data URIs for input images up to 5 MB (https://docs.dev.runwayml.com/assets/inputs). */
export const runwayMaxDataUriBytes = 5 * 1024 * 1024;

export interface RunwayProviderOptions {
  baseURL?: string;
  /** Delay between task polls; defaults to Runway's documented 5 s (tests use less). */
  pollIntervalMs?: number;
  attemptTimeoutMs?: number;
  requestTimeoutMs?: number;
  apiVersion?: string;
  fetch?: typeof fetch;
}

const createdSchema = z.object({ id: z.string().min(1) });
const taskSchema = z.object({
  id: z.string(),
  status: z.enum(['PENDING', 'THROTTLED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  progress: z.number().min(0).max(1).nullish(),
  output: z.array(z.string().url()).nullish(),
  failure: z.string().nullish(),
  failureCode: z.string().nullish(),
});
const operationSchema = z.object({ id: z.string().min(1) });

function taskId(operation: JsonValue): string {
  const parsed = operationSchema.safeParse(operation);
  if (!parsed.success) throw new ProviderError('invalid_input', 'runway: the stored operation handle has no task id');
  return parsed.data.id;
}

/** Runway's failure codes are dotted, most generic first: SAFETY.INPUT.TEXT is a moderation refusal. */
export function runwayFailureClass(code: string | undefined): 'content_policy' | 'invalid_input' | 'server' {
  if (code === undefined) return 'server';
  if (code.startsWith('SAFETY')) return 'content_policy';
  if (code.startsWith('INPUT_PREPROCESSING') || code.startsWith('ASSET')) return 'invalid_input';
  return 'server';
}

async function dataUri(image: ImageInput): Promise<string> {
  const bytes = await readFile(image.path);
  const uri = `data:${image.mime};base64,${bytes.toString('base64')}`;
  if (uri.length > runwayMaxDataUriBytes) {
    throw new InputError(`image: Runway takes reference images up to 5 MB as data URIs; this one is ${bytes.length} bytes before encoding`, {
      field: 'image',
    });
  }
  return uri;
}

/** The JSON body Runway's task endpoint receives for a request. */
export async function runwayBody(model: RunwayModel, request: ProviderRequest): Promise<Record<string, JsonValue>> {
  const body: Record<string, JsonValue> = { model: model.spec.id, promptText: request.prompt, ratio: runwayRatio(model, request) };
  const duration = request.params.duration ?? model.defaultDuration;
  if (model.endpoint !== 'text_to_image' && duration !== undefined) body.duration = duration;
  if (request.params.seed !== undefined) body.seed = request.params.seed;
  const [image] = request.images;
  if (model.endpoint === 'image_to_video') {
    if (!image) throw new InputError(`image: runway/${model.spec.id} animates a reference image; give one`, { field: 'image' });
    body.promptImage = await dataUri(image);
  }
  return body;
}

export function createRunwayProvider(options: RunwayProviderOptions = {}): ProviderAdapter {
  const base = (options.baseURL ?? runwayBaseURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;
  const apiVersion = options.apiVersion ?? runwayApiVersion;

  function http(ctx: CallContext, extra: HttpRequestOptions = {}): HttpRequestOptions {
    const key = requireKey(ctx, 'runway');
    return {
      ...extra,
      headers: { authorization: `Bearer ${key.secret}`, 'x-runway-version': apiVersion },
      signal: ctx.signal,
      timeoutMs: options.requestTimeoutMs ?? 60_000,
      provider: 'runway',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
  }

  function model(id: string): RunwayModel {
    const found = findRunwayModel(id);
    if (!found) throw new InputError(`model: runway has no model ${JSON.stringify(id)}`, { field: 'model' });
    return found;
  }

  return {
    id: 'runway',
    displayName: 'Runway',
    requiresKey: true,
    paid: true,
    models: Object.values(runwayModels).map((entry) => entry.spec),
    defaultConcurrency: 4,
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? runwayMinPollMs,

    validate(request: ProviderRequest): void {
      runwayRatio(model(request.model), request);
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const chosen = model(request.model);
      const body = await runwayBody(chosen, request);
      const created = await requestJson(`${base}/v1/${chosen.endpoint}`, { ...http(ctx, { method: 'POST', json: body }), schema: createdSchema });
      return { status: 'pending', operation: { id: created.id } };
    },

    async poll(operation: JsonValue, ctx: CallContext): Promise<PollResult> {
      const id = taskId(operation);
      const task = await requestJson(`${base}/v1/tasks/${encodeURIComponent(id)}`, { ...http(ctx), schema: taskSchema });
      switch (task.status) {
        case 'PENDING':
          return { status: 'pending', progress: 0, message: 'queued' };
        case 'THROTTLED':
          // Waiting for the organization's other tasks to finish: queued, not failed.
          return { status: 'pending', progress: 0, message: 'throttled: waiting for other Runway tasks to finish' };
        case 'RUNNING':
          return { status: 'pending', progress: Math.round((task.progress ?? 0) * 100) };
        case 'SUCCEEDED': {
          const urls = task.output ?? [];
          if (urls.length === 0) throw new ProviderError('malformed', `runway: task ${id} SUCCEEDED without output URLs`);
          return { status: 'completed', outputs: urls.map((url) => ({ type: 'url' as const, url })) };
        }
        case 'FAILED': {
          const code = task.failureCode ?? undefined;
          throw new ProviderError(runwayFailureClass(code), `runway: task ${id} failed: ${task.failure ?? 'no reason given'}${code ? ` (${code})` : ''}`, {
            ...(code ? { providerCode: code } : {}),
          });
        }
        case 'CANCELLED':
          throw new ProviderError('canceled', `runway: task ${id} was cancelled`);
      }
    },

    async cancel(operation: JsonValue, ctx: CallContext): Promise<void> {
      await httpRequest(`${base}/v1/tasks/${encodeURIComponent(taskId(operation))}`, http(ctx, { method: 'DELETE' }));
    },
  };
}
