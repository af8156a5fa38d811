// The Google Gemini API adapter: Gemini image models and TTS answer generateContent directly,
// Veo answers predictLongRunning with an operation that is polled. Auth is the x-goog-api-key header.
import { InputError } from '@mediagate/core';
import type { CallContext, JsonValue, PollResult, ProviderAdapter, ProviderRequest, SubmitResult } from '../contract.ts';
import { generateContentSchema, inlineMedia } from './generate-content.ts';
import { defaultGoogleBaseURL, googleJson, keyHeaders, requireKey, type GoogleHttp } from './http.ts';
import { chooseImageSize, geminiImageBody, geminiImageModels, isGeminiImageModel } from './image.ts';
import { geminiSpeechBody, geminiSpeechModels, isGeminiSpeechModel, pcmToWav } from './speech.ts';
import { geminiVideoModels, isVeoModel, operationSchema, storedOperationName, veoBody, veoOutputs, veoShape } from './video.ts';

export interface GoogleProviderOptions {
  /** Up to and including the API version; default https://generativelanguage.googleapis.com/v1beta. */
  baseURL?: string;
  /** Between polls of a Veo operation (default 10 s, as Google's own samples wait). */
  pollIntervalMs?: number;
  /** Upper bound for one attempt, submit through the last poll (default 10 min: Veo takes minutes). */
  attemptTimeoutMs?: number;
  /** Upper bound for one HTTP request (default 5 min: 4K images are generated within the call). */
  requestTimeoutMs?: number;
  defaultConcurrency?: number;
  fetch?: typeof fetch;
}

export function createGoogleProvider(options: GoogleProviderOptions = {}): ProviderAdapter {
  const base = (options.baseURL ?? defaultGoogleBaseURL).replace(/\/+$/, '');
  const http: GoogleHttp = { base, requestTimeoutMs: options.requestTimeoutMs ?? 300_000, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const origin = new URL(base).origin;

  async function generateContent(request: ProviderRequest, body: unknown, ctx: CallContext) {
    const url = `${base}/models/${encodeURIComponent(request.model)}:generateContent`;
    return googleJson(http, url, ctx, { method: 'POST', json: body, schema: generateContentSchema });
  }

  return {
    id: 'google',
    displayName: 'Google Gemini API (Gemini image, Veo, TTS)',
    requiresKey: true,
    paid: true,
    models: [...geminiImageModels, ...geminiVideoModels, ...geminiSpeechModels],
    defaultConcurrency: options.defaultConcurrency ?? 8,
    attemptTimeoutMs: options.attemptTimeoutMs ?? 600_000,
    pollIntervalMs: options.pollIntervalMs ?? 10_000,

    validate(request: ProviderRequest): void {
      if (isGeminiImageModel(request.model)) chooseImageSize(request);
      else if (isVeoModel(request.model)) veoShape(request);
    },

    async submit(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
      const target = `google/${request.model}`;
      if (isGeminiImageModel(request.model)) {
        const answer = await generateContent(request, await geminiImageBody(request), ctx);
        const [image] = inlineMedia(answer, 'image/', target).slice(-1);
        if (!image) throw new Error('unreachable: inlineMedia returns at least one part');
        return { status: 'completed', outputs: [{ type: 'bytes', data: image.data, mime: image.mime }] };
      }
      if (isGeminiSpeechModel(request.model)) {
        const answer = await generateContent(request, geminiSpeechBody(request), ctx);
        const [audio] = inlineMedia(answer, 'audio/', target);
        if (!audio) throw new Error('unreachable: inlineMedia returns at least one part');
        return { status: 'completed', outputs: [{ type: 'bytes', data: pcmToWav(audio, target), mime: 'audio/wav' }] };
      }
      if (isVeoModel(request.model)) {
        const url = `${base}/models/${encodeURIComponent(request.model)}:predictLongRunning`;
        const operation = await googleJson(http, url, ctx, { method: 'POST', json: await veoBody(request), schema: operationSchema });
        return { status: 'pending', operation: { name: storedOperationName(operation) } };
      }
      throw new InputError(`model: google has no model "${request.model}"`, { field: 'model' });
    },

    async poll(operation: JsonValue, ctx: CallContext): Promise<PollResult> {
      const name = storedOperationName(operation);
      const view = await googleJson(http, `${base}/${name}`, ctx, { method: 'GET', schema: operationSchema });
      if (!view.done) return { status: 'pending' };
      return { status: 'completed', outputs: veoOutputs(view, origin, keyHeaders(requireKey(ctx))) };
    },
  };
}
