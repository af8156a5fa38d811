// The adapter for the simulated provider: speaks the simulated server's HTTP API through the
// shared HTTP helper, so tests exercise the same error paths a cloud adapter goes through.
import { InputError, ProviderError, type JobKind } from '@mediagate/core';
import { z } from 'zod';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { isContentPolicyBody } from '../http/classify.ts';
import { requestBytes, requestJson, type HttpRequestOptions } from '../http/request.ts';
import { findSimulatedModel, mimeFor, simulatedModels } from './models.ts';
import { faultNames, isFaultName } from './responses.ts';

export interface SimulatedProviderOptions {
  /** Where the simulated server listens, e.g. `server.url`. */
  baseURL: string;
  /** Upper bound for one attempt (default 60 s). */
  attemptTimeoutMs?: number;
  /** Upper bound for one HTTP request (default: the attempt timeout). */
  requestTimeoutMs?: number;
  pollIntervalMs?: number;
  defaultConcurrency?: number;
  fetch?: typeof fetch;
}

const acceptedSchema = z.object({ id: z.string().min(1), status: z.string() });
const operationSchema = z.object({ id: z.string().min(1) });
const statusSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']),
  progress: z.number().min(0).max(100),
  output_url: z.string().url().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

const signatures: Record<JobKind, { offset: number; text: string }[]> = {
  image: [{ offset: 0, text: '\x89PNG\r\n\x1a\n' }],
  speech: [
    { offset: 0, text: 'RIFF' },
    { offset: 8, text: 'WAVE' },
  ],
  video: [{ offset: 4, text: 'ftyp' }],
};

/** Whether bytes start like the media the API promised; anything else is `malformed`. */
function looksLike(kind: JobKind, data: Uint8Array): boolean {
  for (const { offset, text } of signatures[kind]) {
    if (data.byteLength < offset + text.length) return false;
    for (let index = 0; index < text.length; index += 1) if (data[offset + index] !== text.charCodeAt(index)) return false;
  }
  return true;
}

function operationId(operation: JsonValue): string {
  const parsed = operationSchema.safeParse(operation);
  if (!parsed.success) throw new ProviderError('invalid_input', 'simulated: the stored operation handle has no id');
  return parsed.data.id;
}

export function createSimulatedProvider(options: SimulatedProviderOptions): ProviderAdapter {
  const base = options.baseURL.replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 60_000;

  /** The options of one call, built as one literal: spreading them costs more than the call's own work. */
  function http(ctx: CallContext, method?: 'POST', json?: unknown): HttpRequestOptions {
    const init: HttpRequestOptions = {
      method,
      json,
      headers: ctx.key ? { authorization: `Bearer ${ctx.key.secret}` } : {},
      signal: ctx.signal,
      timeoutMs: options.requestTimeoutMs ?? attemptTimeoutMs,
      provider: 'simulated',
    };
    if (options.fetch) init.fetch = options.fetch;
    return init;
  }

  function model(id: string) {
    const spec = findSimulatedModel(id);
    if (!spec) throw new InputError(`model: simulated has no model ${JSON.stringify(id)}`, { field: 'model', allowed: simulatedModels.map((m) => m.id) });
    return spec;
  }

  return {
    id: 'simulated',
    displayName: 'Simulated provider',
    requiresKey: true,
    paid: true,
    models: simulatedModels,
    defaultConcurrency: options.defaultConcurrency ?? 1000,
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 200,

    validate(request: ProviderRequest): void {
      const { duration, simulate } = request.params;
      if (request.kind === 'speech' && duration !== undefined && (duration < 1 || duration > 60)) {
        throw new InputError(`params.duration: ${duration}s is out of range; allowed 1–60s`, { field: 'params.duration', allowed: [1, 60] });
      }
      if (simulate?.fault !== undefined && !isFaultName(simulate.fault)) {
        throw new InputError(`params.simulate.fault: ${JSON.stringify(simulate.fault)} is not a fault; allowed: ${faultNames.join(', ')}`, {
          field: 'params.simulate.fault',
          allowed: faultNames,
        });
      }
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const spec = model(request.model);
      const body = { model: request.model, kind: request.kind, prompt: request.prompt, params: request.params };
      const init = http(ctx, 'POST', body);
      if (spec.capabilities.async) {
        const accepted = await requestJson(`${base}/v1/generate`, { ...init, schema: acceptedSchema });
        return { status: 'pending', operation: { id: accepted.id } };
      }
      const answer = await requestBytes(`${base}/v1/generate`, init);
      if (!looksLike(request.kind, answer.body)) {
        throw new ProviderError('malformed', `simulated: HTTP ${answer.status} body is not ${mimeFor[request.kind]} media`, { status: answer.status });
      }
      return { status: 'completed', outputs: [{ type: 'bytes', data: answer.body, mime: answer.mime ?? mimeFor[request.kind] }] };
    },

    async poll(operation: JsonValue, ctx: CallContext): Promise<PollResult> {
      const id = operationId(operation);
      const view = await requestJson(`${base}/v1/operations/${encodeURIComponent(id)}`, { ...http(ctx), schema: statusSchema });
      switch (view.status) {
        case 'queued':
          return { status: 'pending', progress: 0, message: 'queued' };
        case 'running':
          return { status: 'pending', progress: view.progress };
        case 'succeeded': {
          if (!view.output_url) throw new ProviderError('malformed', `simulated: operation ${id} succeeded without an output_url`);
          const headers = ctx.key ? { authorization: `Bearer ${ctx.key.secret}` } : undefined;
          return { status: 'completed', outputs: [{ type: 'url', url: view.output_url, ...(headers ? { headers } : {}) }] };
        }
        case 'failed': {
          const code = view.error?.code ?? 'unknown';
          const errorClass = isContentPolicyBody({ code }) ? 'content_policy' : 'server';
          throw new ProviderError(errorClass, `simulated: operation ${id} failed: ${view.error?.message ?? 'no reason given'} (${code})`, {
            providerCode: code,
          });
        }
        case 'canceled':
          throw new ProviderError('canceled', `simulated: operation ${id} was canceled`);
      }
    },

    async cancel(operation: JsonValue, ctx: CallContext): Promise<void> {
      await requestJson(`${base}/v1/operations/${encodeURIComponent(operationId(operation))}/cancel`, {
        ...http(ctx, 'POST'),
        schema: statusSchema,
      });
    },

    async health() {
      try {
        await requestJson(`${base}/v1/health`, { timeoutMs: 2000, provider: 'simulated' });
        return { status: 'ok' };
      } catch (error) {
        return { status: 'unavailable', message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
