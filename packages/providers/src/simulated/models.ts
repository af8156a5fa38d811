// The simulated provider's models, capabilities and (made-up) prices. Shared by the adapter,
// which declares them, and the server, which needs the same defaults to size its media.
import type { GenerationParams, JobKind } from '@mediagate/core';
import type { ModelCapabilities, ModelSpec, PriceEntry, ProviderRequest } from '../contract.ts';
import { resolveDimensions } from '../validate.ts';

const source = 'simulated provider (test fixture)';
const date = '2026-11-21';
const aspectRatios = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3'] as const;
const side = { min: 64, max: 4096 };

const imageCapabilities = (async: boolean): ModelCapabilities => ({
  kind: 'image',
  modes: ['text-to-image'],
  params: ['width', 'height', 'aspect_ratio', 'format', 'seed', 'simulate'],
  image: { aspectRatios, explicitSize: true, width: side, height: side, formats: ['png'], maxReferenceImages: 0 },
  maxN: 1,
  defaultFormat: 'png',
  async,
  cancel: async,
});

const videoCapabilities: ModelCapabilities = {
  kind: 'video',
  modes: ['text-to-video'],
  params: ['width', 'height', 'aspect_ratio', 'duration', 'format', 'seed', 'simulate'],
  video: {
    aspectRatios: ['16:9', '9:16', '1:1'],
    explicitSize: true,
    width: side,
    height: side,
    multipleOf: 2, // H.264 in yuv420p needs even sides
    duration: { min: 1, max: 60 },
    maxReferenceImages: 0,
  },
  maxN: 1,
  defaultFormat: 'mp4',
  async: true,
  cancel: true,
};

const speechCapabilities: ModelCapabilities = {
  kind: 'speech',
  modes: ['text-to-speech'],
  params: ['voice', 'duration', 'format', 'seed', 'simulate'],
  speech: { voices: ['alloy', 'nova'], formats: ['wav'], maxCharacters: 4096 },
  maxN: 1,
  defaultFormat: 'wav',
  async: false,
  cancel: false,
};

const imagePrice: PriceEntry = { basis: 'per_image', usd: 0.01, source, date };
const videoPrice: PriceEntry = { basis: 'per_second', usd: 0.05, source, date };
const speechPrice: PriceEntry = { basis: 'per_1k_characters', usd: 0.015, source, date };

export const defaultVideoSeconds = 5;

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

export const simulatedModels: readonly ModelSpec[] = [
  {
    id: 'image',
    description: 'Synchronous image: answers with PNG bytes',
    capabilities: imageCapabilities(false),
    pricing: [imagePrice],
    estimate: (request) => ({ usd: round((request.params.n ?? 1) * imagePrice.usd), basis: `${request.params.n ?? 1} image × $0.01` }),
  },
  {
    id: 'image-async',
    description: 'Asynchronous image: submit, poll, download',
    capabilities: imageCapabilities(true),
    pricing: [imagePrice],
    estimate: (request) => ({ usd: round((request.params.n ?? 1) * imagePrice.usd), basis: `${request.params.n ?? 1} image × $0.01` }),
  },
  {
    id: 'video',
    description: 'Asynchronous video (H.264 MP4) with progress',
    capabilities: videoCapabilities,
    pricing: [videoPrice],
    estimate: (request: ProviderRequest) => {
      const seconds = request.params.duration ?? defaultVideoSeconds;
      return { usd: round(seconds * videoPrice.usd), basis: `${seconds} s × $0.05` };
    },
  },
  {
    id: 'speech',
    description: 'Synchronous speech: answers with WAV bytes',
    capabilities: speechCapabilities,
    pricing: [speechPrice],
    estimate: (request) => {
      const characters = request.prompt.length;
      return { usd: round((characters / 1000) * speechPrice.usd), basis: `${characters} characters × $0.015 / 1k` };
    },
  },
];

export function findSimulatedModel(id: string): ModelSpec | undefined {
  return simulatedModels.find((model) => model.id === id);
}

/** What the server renders for a request: the same defaults the adapter's capabilities promise. */
export type MediaShape =
  | { kind: 'image'; width: number; height: number; color: number; description: string }
  | { kind: 'video'; width: number; height: number; seconds: number; color: number }
  | { kind: 'speech'; seconds: number; frequency: number };

export function mediaShape(kind: JobKind, spec: ModelSpec, prompt: string, params: GenerationParams, color: number): MediaShape {
  const caps = spec.capabilities;
  if (kind === 'speech') {
    const seconds = params.duration ?? Math.min(60, Math.max(0.5, prompt.length / 15));
    return { kind, seconds, frequency: params.voice === 'nova' ? 660 : 440 };
  }
  const visual = caps.video ?? caps.image;
  const size = resolveDimensions(params, { aspectRatios: visual?.aspectRatios ?? ['1:1'], multipleOf: visual?.multipleOf }, kind === 'video' ? 360 : 512);
  const clamp = (value: number) => Math.min(side.max, Math.max(side.min, value));
  if (kind === 'video') {
    const even = (value: number) => clamp(value) - (clamp(value) % 2);
    return { kind, width: even(size.width), height: even(size.height), seconds: params.duration ?? defaultVideoSeconds, color };
  }
  return { kind, width: clamp(size.width), height: clamp(size.height), color, description: `${prompt}\nseed: ${color}` };
}

export const mimeFor: Record<MediaShape['kind'], string> = { image: 'image/png', video: 'video/mp4', speech: 'audio/wav' };
