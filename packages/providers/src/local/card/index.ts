// local/card: a typographic image model that renders designed cards from the prompt with no
// network and no keys, so a new install produces real media on its first command.
import { ProviderError, type ImageFormat } from '@mediagate/core';
import type { CallContext, ImageCapabilities, ModelSpec, ProviderOutput, ProviderRequest, SubmitResult } from '../../contract.ts';
import { resolveDimensions } from '../../validate.ts';
import { renderCard } from './render.ts';
import { hashString } from './random.ts';

export { renderCard, cardPlan, type CardInput } from './render.ts';

const mimes: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export const cardImageCapabilities: ImageCapabilities = {
  aspectRatios: ['1:1', '16:9', '9:16', '4:5', '4:3', '3:4', '3:2', '2:3', '21:9'],
  explicitSize: true,
  width: { min: 64, max: 4096 },
  height: { min: 64, max: 4096 },
  formats: ['png', 'jpeg', 'webp'],
  maxReferenceImages: 1,
};

export const cardModel: ModelSpec = {
  id: 'card',
  description: 'Typographic cards (headline, kicker, brand, optional photo) rendered locally; free and offline.',
  capabilities: {
    kind: 'image',
    modes: ['text-to-image', 'image-to-image'],
    params: ['width', 'height', 'aspect_ratio', 'format', 'seed', 'n', 'theme', 'layout', 'colors', 'brand'],
    image: cardImageCapabilities,
    maxN: 4,
    defaultFormat: 'png',
    async: false,
    cancel: false,
  },
  pricing: [{ basis: 'free', usd: 0, source: 'local renderer', date: '2026-11-21' }],
  estimate: (request) => {
    const count = request.params.n ?? 1;
    return { usd: 0, basis: `${count} card${count === 1 ? '' : 's'} × $0 (rendered locally)` };
  },
};

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ProviderError('canceled', 'card rendering was canceled', { cause: signal.reason });
}

/** Renders `n` cards; each after the first varies by seed + index, so a set shows variety. */
export async function generateCard(request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
  const { params } = request;
  const { width, height } = resolveDimensions(params, cardImageCapabilities, 1080);
  const format = params.format === 'jpeg' || params.format === 'webp' ? params.format : 'png';
  const count = params.n ?? 1;
  const baseSeed = params.seed ?? hashString(request.prompt);
  const outputs: ProviderOutput[] = [];
  for (let index = 0; index < count; index++) {
    throwIfAborted(ctx.signal);
    const seed = (baseSeed + index) >>> 0;
    const data = await renderCard({ prompt: request.prompt, params: { ...params, seed }, width, height, format, images: request.images });
    outputs.push({ type: 'bytes', data, mime: mimes[format] });
    ctx.progress({ progress: Math.round(((index + 1) / count) * 100), message: `rendered card ${index + 1} of ${count}` });
  }
  throwIfAborted(ctx.signal);
  return { status: 'completed', outputs, costUsd: 0 };
}
