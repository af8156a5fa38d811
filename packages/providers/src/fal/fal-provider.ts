// The fal adapter, on the official @fal-ai/client: submit to the queue, read status (queue position,
// logs → progress), fetch the result, cancel while still queued. The client is built per call with
// the attempt's key, its base URL rewritten by a request middleware (its documented hook) and a fetch
// that goes through Mediagate's HTTP helper, so every failure is classified once and the client's
// own retries never run (a ProviderError is not an error it retries).
// Queue API: https://docs.fal.ai/model-apis/model-endpoints/queue
import { readFile } from 'node:fs/promises';
import { createFalClient, type FalClient } from '@fal-ai/client';
import { InputError, ProviderError } from '@mediagate/core';
import { z } from 'zod';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderOutput, ProviderRequest, SubmitResult } from '../contract.ts';
import type { ProviderErrorBody } from '../http/classify.ts';
import { request as httpRequest } from '../http/request.ts';
import { requireKey } from '../http/require-key.ts';
import { falModels, findFalModel, type FalModel } from './fal-models.ts';

export const falQueueURL = 'https://queue.fal.run';

export interface FalProviderOptions {
  /** Replaces https://queue.fal.run in every queue call. */
  baseURL?: string;
  pollIntervalMs?: number;
  attemptTimeoutMs?: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

const submittedSchema = z.object({ request_id: z.string().min(1), status: z.string(), queue_position: z.number().nullish() });
const logSchema = z.object({ message: z.string() });
const statusSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('IN_QUEUE'), queue_position: z.number().nullish() }),
  z.object({ status: z.literal('IN_PROGRESS'), logs: z.array(logSchema).nullish() }),
  z.object({ status: z.literal('COMPLETED'), logs: z.array(logSchema).nullish(), error: z.string().nullish() }),
]);
const fileSchema = z.object({ url: z.string().url(), content_type: z.string().nullish() });
const imageResultSchema = z.object({ images: z.array(fileSchema).min(1), has_nsfw_concepts: z.array(z.boolean()).nullish() });
const videoResultSchema = z.object({ video: fileSchema });
const operationSchema = z.object({ model: z.string().min(1), endpoint: z.string().min(1), requestId: z.string().min(1) });

/** fal's 422 detail items carry a `type`; content_policy_violation is its refusal on content grounds. */
function isFalContentPolicy(body: ProviderErrorBody): boolean {
  const detail = (body.json as { detail?: unknown } | undefined)?.detail;
  return Array.isArray(detail) && detail.some((item) => (item as { type?: unknown } | null)?.type === 'content_policy_violation');
}

/** A percentage from fal's progress logs ("45%" or "step 12/28"), when the model writes one. */
export function progressFromLogs(logs: readonly { message: string }[] | null | undefined): number | undefined {
  for (const { message } of [...(logs ?? [])].reverse()) {
    const percent = /(\d{1,3}(?:\.\d+)?)\s*%/.exec(message);
    if (percent?.[1]) return Math.min(100, Math.round(Number(percent[1])));
    const steps = /(\d+)\s*\/\s*(\d+)/.exec(message);
    if (steps?.[1] && steps[2] && Number(steps[2]) > 0) return Math.min(100, Math.round((Number(steps[1]) / Number(steps[2])) * 100));
  }
  return undefined;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ProviderError('malformed', `fal: ${what} is not the documented shape: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown'}`);
}

function operation(value: JsonValue): z.infer<typeof operationSchema> {
  const parsed = operationSchema.safeParse(value);
  if (!parsed.success) throw new ProviderError('invalid_input', 'fal: the stored operation handle has no endpoint and request id');
  return parsed.data;
}

export function createFalProvider(options: FalProviderOptions = {}): ProviderAdapter {
  const queueBase = (options.baseURL ?? falQueueURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;

  /** The official client for one call: this key, this signal, Mediagate's HTTP and error handling. */
  function client(ctx: CallContext): FalClient {
    const key = requireKey(ctx, 'fal');
    const falFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      try {
        const answer = await httpRequest(url, {
          method: init?.method ?? 'GET',
          headers: init?.headers ?? {},
          ...(init?.body === undefined || init.body === null ? {} : { body: init.body }),
          signal: ctx.signal,
          timeoutMs: options.requestTimeoutMs ?? 60_000,
          provider: 'fal',
          isContentPolicy: isFalContentPolicy,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
        return new Response(answer.body.byteLength === 0 ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        // Rethrown without its cause: the client retries errors whose cause chain looks like a
        // dropped connection, and retrying is Mediagate's job.
        throw new ProviderError(error.errorClass, error.message, {
          ...(error.status === undefined ? {} : { status: error.status }),
          ...(error.providerCode === undefined ? {} : { providerCode: error.providerCode }),
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
        });
      }
    };
    return createFalClient({
      credentials: key.secret,
      suppressLocalCredentialsWarning: true,
      fetch: falFetch as typeof fetch,
      requestMiddleware: async (request) => ({ ...request, url: request.url.replace(/^https:\/\/queue\.fal\.run/, queueBase) }),
    });
  }

  function model(id: string): FalModel {
    const found = findFalModel(id);
    if (!found) throw new InputError(`model: fal has no model ${JSON.stringify(id)}`, { field: 'model' });
    return found;
  }

  async function outputs(chosen: FalModel, data: unknown, requestId: string): Promise<ProviderOutput[]> {
    if (chosen.kind === 'image') {
      const result = parse(imageResultSchema, data, `result of ${requestId}`);
      if (result.has_nsfw_concepts?.some(Boolean)) {
        // fal blanks flagged images and says so here; a black square is not an output.
        throw new ProviderError('content_policy', `fal: request ${requestId} was flagged by the safety checker (has_nsfw_concepts)`, { providerCode: 'has_nsfw_concepts' });
      }
      return result.images.map((image) => ({ type: 'url', url: image.url }));
    }
    return [{ type: 'url', url: parse(videoResultSchema, data, `result of ${requestId}`).video.url }];
  }

  return {
    id: 'fal',
    displayName: 'fal',
    requiresKey: true,
    paid: true,
    models: falModels.map((entry) => entry.spec),
    defaultConcurrency: 8,
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 1000,

    validate(request: ProviderRequest): void {
      model(request.model).validate?.(request);
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const chosen = model(request.model);
      const [image] = request.images;
      const imageUrl = image ? `data:${image.mime};base64,${(await readFile(image.path)).toString('base64')}` : undefined;
      const endpoint = chosen.endpoint(request);
      const queued = await client(ctx).queue.submit(endpoint, { input: chosen.input(request, imageUrl), abortSignal: ctx.signal });
      const accepted = parse(submittedSchema, queued, 'the submit answer');
      return { status: 'pending', operation: { model: chosen.spec.id, endpoint, requestId: accepted.request_id } };
    },

    async poll(handle: JsonValue, ctx: CallContext): Promise<PollResult> {
      const { model: modelId, endpoint, requestId } = operation(handle);
      const fal = client(ctx);
      const status = parse(statusSchema, await fal.queue.status(endpoint, { requestId, logs: true, abortSignal: ctx.signal }), `status of ${requestId}`);
      if (status.status === 'IN_QUEUE') {
        return { status: 'pending', progress: 0, ...(status.queue_position == null ? {} : { queuePosition: status.queue_position }), message: 'queued' };
      }
      if (status.status === 'IN_PROGRESS') {
        const progress = progressFromLogs(status.logs);
        const last = status.logs?.at(-1)?.message;
        return { status: 'pending', ...(progress === undefined ? {} : { progress }), ...(last === undefined ? {} : { message: last.slice(0, 200) }) };
      }
      const result = await fal.queue.result(endpoint, { requestId, abortSignal: ctx.signal });
      return { status: 'completed', outputs: await outputs(model(modelId), result.data, requestId) };
    },

    async cancel(handle: JsonValue, ctx: CallContext): Promise<void> {
      const { endpoint, requestId } = operation(handle);
      try {
        await client(ctx).queue.cancel(endpoint, { requestId, abortSignal: ctx.signal });
      } catch (error) {
        // fal cancels only requests still in the queue; one already running answers 400 ALREADY_COMPLETED.
        if (error instanceof ProviderError && error.status === 400) return;
        throw error;
      }
    },
  };
}
