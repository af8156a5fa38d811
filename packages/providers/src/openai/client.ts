// The official `openai` client as Mediagate uses it: one per key, its own retries off (the engine
// owns retries), and every failure it throws turned into one classified ProviderError.
import { ProviderError } from '@mediagate/core';
import OpenAI from 'openai';
import type { CallContext } from '../contract.ts';
import { classifyHttpError } from '../http/classify.ts';
import { requireKey } from '../http/require-key.ts';

export const openaiBaseURL = 'https://api.openai.com/v1';

export interface ClientOptions {
  baseURL: string;
  /** Upper bound for one HTTP request. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

export function openaiClient(ctx: CallContext, options: ClientOptions): OpenAI {
  const key = requireKey(ctx, 'openai');
  return new OpenAI({
    apiKey: key.secret,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: options.timeoutMs,
    // The SDK logs nothing of ours; keep it from reading OPENAI_* settings meant for other tools.
    organization: null,
    project: null,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** Whether an abort reason means the attempt ran out of time (rather than a cancel). */
function isTimeout(reason: unknown): boolean {
  if (reason instanceof ProviderError) return reason.errorClass === 'timeout';
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/**
 * One ProviderError for anything a call through the SDK threw. HTTP errors go through the shared
 * classification (status, `{error:{message,type,code}}`, retry-after-ms / retry-after /
 * x-ratelimit-reset-*), so moderation_blocked and content_policy_violation become content_policy.
 */
export function toProviderError(error: unknown, signal: AbortSignal, what: string): ProviderError {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    return isTimeout(reason)
      ? new ProviderError('timeout', `openai: attempt timed out during ${what}`, { cause: reason })
      : new ProviderError('canceled', `openai: ${what} canceled`, { cause: reason });
  }
  if (error instanceof ProviderError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new ProviderError('timeout', `openai: no answer in time for ${what}`, { cause: error });
  if (error instanceof OpenAI.APIConnectionError) return new ProviderError('network', `openai: network error during ${what}: ${error.message}`, { cause: error });
  if (error instanceof OpenAI.APIError && error.status !== undefined) {
    const bodyText = error.error === undefined ? '' : JSON.stringify({ error: error.error });
    return classifyHttpError({ status: error.status, headers: error.headers ?? new Headers(), bodyText }, { provider: 'openai' });
  }
  // A 2xx body the SDK could not parse as JSON.
  if (error instanceof SyntaxError) return new ProviderError('malformed', `openai: ${what} answered a body that is not JSON`, { cause: error });
  if (error instanceof OpenAI.OpenAIError) return new ProviderError('malformed', `openai: ${what} failed: ${error.message}`, { cause: error });
  // Anything else is a bug on our side: the engine fails it loudly instead of retrying.
  throw error;
}

/** Runs one SDK call with the attempt's signal, classifying whatever it throws. */
export async function call<T>(ctx: CallContext, what: string, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await send(ctx.signal);
  } catch (error) {
    throw toProviderError(error, ctx.signal, what);
  }
}
