// The OpenAI adapter: GPT image / DALL·E 3 images, Sora videos and text-to-speech through the
// official `openai` client, pointed at api.openai.com or any compatible base URL.
import { InputError } from '@mediagate/core';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { openaiBaseURL, openaiClient } from './client.ts';
import { generateImages, validateImage } from './images.ts';
import { openaiModels } from './models.ts';
import { createSpeech } from './speech.ts';
import { createVideo, pollVideo, validateVideo } from './videos.ts';
import { requireKey } from '../http/require-key.ts';

export interface OpenAIProviderOptions {
  /** Default https://api.openai.com/v1. */
  baseURL?: string;
  /** Between polls of a Sora video (default 5 s). */
  pollIntervalMs?: number;
  /** Upper bound for one attempt (default 15 minutes: Sora Pro renders take minutes). */
  attemptTimeoutMs?: number;
  /** Upper bound for one HTTP request (default 5 minutes: high-quality images take a while). */
  requestTimeoutMs?: number;
  defaultConcurrency?: number;
  fetch?: typeof fetch;
}

export function createOpenAIProvider(options: OpenAIProviderOptions = {}): ProviderAdapter {
  const baseURL = (options.baseURL ?? openaiBaseURL).replace(/\/+$/, '');
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15 * 60_000;
  const clientOptions = {
    baseURL,
    timeoutMs: options.requestTimeoutMs ?? Math.min(attemptTimeoutMs, 5 * 60_000),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };

  return {
    id: 'openai',
    displayName: 'OpenAI',
    requiresKey: true,
    paid: true,
    models: openaiModels,
    defaultConcurrency: options.defaultConcurrency ?? 8,
    attemptTimeoutMs,
    pollIntervalMs: options.pollIntervalMs ?? 5000,

    validate(request: ProviderRequest): void {
      if (request.kind === 'image') validateImage(request);
      else if (request.kind === 'video') validateVideo(request);
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const client = openaiClient(ctx, clientOptions);
      switch (request.kind) {
        case 'image':
          return generateImages(client, request, ctx);
        case 'video':
          return createVideo(client, request, ctx);
        case 'speech':
          return createSpeech(client, request, ctx);
        default:
          throw new InputError(`kind: openai does not make ${String(request.kind)}`, { field: 'kind' });
      }
    },

    async poll(operation: JsonValue, ctx: CallContext): Promise<PollResult> {
      return pollVideo(openaiClient(ctx, clientOptions), operation, ctx, baseURL, requireKey(ctx, 'openai').secret);
    },
  };
}
