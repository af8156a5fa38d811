// The Replicate adapter, on the official `replicate` client: create a prediction for a mapped
// model or any other by name (POST /v1/models/{owner}/{name}/predictions) or version (POST
// /v1/predictions {version}), with a Cancel-After deadline and optionally Prefer: wait; poll GET
// /v1/predictions/{id} (logs → progress), cancel with POST …/cancel. Outputs are handed to the
// worker as URLs at once: Replicate deletes them after an hour.
//
// The client retries 429s, 5xxs on GET and anything its fetch throws, with no switch to turn that
// off. So its fetch goes through Mediagate's HTTP helper and never throws or shows it a retryable
// status: a failure comes back to the client as a plain 400 while the classified ProviderError waits
// beside it and is rethrown here. One call is one request; retrying is Mediagate's.
// API: https://replicate.com/docs/reference/http
import Replicate, { parseProgressFromLogs } from 'replicate';
import { ProviderError, type JobKind } from '@mediagate/core';
import { z } from 'zod';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { request as httpRequest } from '../http/request.ts';
import { requireKey } from '../http/require-key.ts';
import { anyReplicateModel } from './replicate-any-model.ts';
import { findReplicateModel, replicateModels, type ReplicateModel } from './replicate-models.ts';

export const replicateBaseURL = 'https://api.replicate.com/v1';

export interface ReplicateProviderOptions {
  baseURL?: string;
  pollIntervalMs?: number;
  attemptTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Ask Replicate to hold the create request up to this many seconds (1–60) for a finished prediction. */
  preferWaitSeconds?: number;
  fetch?: typeof fetch;
}

const predictionSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted']),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  logs: z.string().nullish(),
});
type Prediction = z.infer<typeof predictionSchema>;
const operationSchema = z.object({ id: z.string().min(1) });

/** Replicate reports refusals in the prediction's error text ("NSFW content detected…"). */
const refusalPattern = /nsfw|safety|sensitive content|flagged|content policy/i;

function prediction(value: unknown, what: string): Prediction {
  const parsed = predictionSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ProviderError('malformed', `replicate: ${what} is not a prediction: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : ''}`);
}

/**
 * A prediction's output files: one URL, a list of them, or (for models that name their outputs)
 * an object whose values are URLs. Anything else is not media Mediagate can store.
 */
function outputUrls(found: Prediction): string[] {
  const output = found.output;
  const values =
    typeof output === 'string' ? [output] : Array.isArray(output) ? output : typeof output === 'object' && output !== null ? Object.values(output) : [];
  if (values.length === 0 || !values.every((url): url is string => typeof url === 'string' && /^https?:\/\//.test(url))) {
    const shown = JSON.stringify(output ?? null).slice(0, 200);
    throw new ProviderError('malformed', `replicate: prediction ${found.id} succeeded without output file URLs (output: ${shown})`);
  }
  return values;
}

/** Replicate's `Cancel-After` duration: whole seconds, at least Replicate's minimum of 5. */
export function cancelAfter(ms: number): string {
  return `${Math.max(5, Math.ceil(ms / 1000))}s`;
}

export function createReplicateProvider(options: ReplicateProviderOptions = {}): ProviderAdapter {
  const baseUrl = (options.baseURL ?? replicateBaseURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;

  /** Runs one client call with this attempt's key and signal; rethrows the classified failure. */
  async function call<T>(ctx: CallContext, run: (api: Replicate) => Promise<T>): Promise<T> {
    const key = requireKey(ctx, 'replicate');
    const seen: { failure?: ProviderError } = {};
    const replicateFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = init?.method ?? 'GET';
      const headers = new Headers(init?.headers);
      // The prediction's own deadline: Replicate cancels it if it is still running then.
      if (method === 'POST' && /\/predictions$/.test(new URL(url).pathname)) headers.set('cancel-after', cancelAfter(attemptTimeoutMs));
      try {
        const answer = await httpRequest(url, {
          method,
          headers,
          ...(init?.body === undefined || init.body === null ? {} : { body: init.body }),
          signal: ctx.signal,
          timeoutMs: options.requestTimeoutMs ?? 90_000,
          provider: 'replicate',
          ...(options.fetch ? { fetch: options.fetch } : {}),
        });
        return new Response(answer.body.byteLength === 0 ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        seen.failure = error;
        return new Response(null, { status: 400 });
      }
    };
    const api = new Replicate({ auth: key.secret, baseUrl, fetch: replicateFetch as typeof fetch, useFileOutput: false, userAgent: 'mediagate' });
    try {
      return await run(api);
    } catch (error) {
      throw seen.failure ?? error;
    }
  }

  /** A mapped model, else any model by name or version, run as `kind`. */
  function model(id: string, kind: JobKind, field = 'model'): ReplicateModel {
    return findReplicateModel(id) ?? anyReplicateModel(id, kind, field);
  }

  function settle(found: Prediction): PollResult {
    switch (found.status) {
      case 'starting':
        return { status: 'pending', progress: 0, message: 'starting' };
      case 'processing': {
        const parsed = parseProgressFromLogs(found.logs ?? '');
        return { status: 'pending', ...(parsed ? { progress: Math.round(parsed.percentage * 100) } : {}), message: 'processing' };
      }
      case 'succeeded':
        return { status: 'completed', outputs: outputUrls(found).map((url) => ({ type: 'url' as const, url })) };
      case 'failed': {
        const reason = typeof found.error === 'string' ? found.error : JSON.stringify(found.error ?? 'no reason given');
        throw new ProviderError(refusalPattern.test(reason) ? 'content_policy' : 'server', `replicate: prediction ${found.id} failed: ${reason.slice(0, 500)}`);
      }
      case 'canceled':
      case 'aborted':
        throw new ProviderError('canceled', `replicate: prediction ${found.id} was ${found.status}`);
    }
  }

  return {
    id: 'replicate',
    displayName: 'Replicate',
    requiresKey: true,
    paid: true,
    models: replicateModels.map((entry) => entry.spec),
    defaultConcurrency: 8,
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 1000,

    resolveModel(id: string, kind: JobKind, field: string) {
      return model(id, kind, field).spec;
    },

    validate(request: ProviderRequest): void {
      model(request.model, request.kind).input(request);
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const chosen = model(request.model, request.kind);
      const input = chosen.input(request);
      const created = prediction(
        await call(ctx, (api) =>
          api.predictions.create({
            ...(chosen.version ? { version: chosen.version } : { model: chosen.model }),
            input,
            signal: ctx.signal,
            ...(options.preferWaitSeconds === undefined ? {} : { wait: options.preferWaitSeconds }),
          }),
        ),
        'the create answer',
      );
      // With Prefer: wait a prediction can come back finished; otherwise it is polled.
      if (created.status === 'succeeded') {
        const done = settle(created);
        if (done.status === 'completed') return { status: 'completed', outputs: done.outputs };
      }
      if (created.status === 'failed') settle(created);
      return { status: 'pending', operation: { id: created.id } };
    },

    async poll(handle: JsonValue, ctx: CallContext): Promise<PollResult> {
      const parsed = operationSchema.safeParse(handle);
      if (!parsed.success) throw new ProviderError('invalid_input', 'replicate: the stored operation handle has no prediction id');
      const found = prediction(await call(ctx, (api) => api.predictions.get(parsed.data.id, { signal: ctx.signal })), `prediction ${parsed.data.id}`);
      return settle(found);
    },

    async cancel(handle: JsonValue, ctx: CallContext): Promise<void> {
      const parsed = operationSchema.safeParse(handle);
      if (!parsed.success) return;
      await call(ctx, (api) => api.predictions.cancel(parsed.data.id, { signal: ctx.signal }));
    },
  };
}
