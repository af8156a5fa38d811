// The quality tiers shipped as built-in routes, one set per kind: `draft | standard | high |
// master`. Each tier lists cloud targets in the order it prefers them and ends with the kind's
// local provider, so a tier works on a machine with no keys at all. A route of the same name in
// mediagate.config.yaml replaces the built-in one.
import type { JobKind } from '@mediagate/core';
import type { RouteStrategy } from '../config/schema.ts';

export const qualityTiers = ['draft', 'standard', 'high', 'master'] as const;
export type QualityTier = (typeof qualityTiers)[number];

export interface BuiltInRoute {
  strategy: RouteStrategy;
  /** Cloud targets; left out when this build does not register them or no key is configured. */
  targets: readonly string[];
  /** Appended after the strategy has ordered `targets`: always tried last, needs no key. */
  lastResort: string;
}

const lastResort: Record<JobKind, string> = { image: 'local/card', video: 'local/motion', speech: 'local/tts' };

const tiers: Record<JobKind, Record<QualityTier, Omit<BuiltInRoute, 'lastResort'>>> = {
  image: {
    draft: { strategy: 'cheapest', targets: ['openai/gpt-image-1-mini', 'google/gemini-2.5-flash-image', 'luma/photon-flash-1', 'stability/core'] },
    standard: { strategy: 'fallback', targets: ['openai/gpt-image-1-mini', 'google/gemini-2.5-flash-image', 'stability/core', 'luma/photon-flash-1'] },
    high: {
      strategy: 'fallback',
      targets: ['openai/gpt-image-1', 'bfl/flux-pro-1.1', 'google/gemini-3-pro-image-preview', 'stability/ultra', 'luma/photon-1'],
    },
    master: {
      strategy: 'fallback',
      targets: ['openai/gpt-image-1.5', 'bfl/flux-pro-1.1-ultra', 'google/gemini-3-pro-image-preview', 'stability/ultra', 'runway/gen4_image'],
    },
  },
  video: {
    draft: { strategy: 'cheapest', targets: ['luma/ray-flash-2', 'google/veo-3.1-fast-generate-preview', 'runway/gen4_turbo'] },
    standard: { strategy: 'fallback', targets: ['runway/gen4_turbo', 'luma/ray-2', 'google/veo-3.1-fast-generate-preview'] },
    high: { strategy: 'fallback', targets: ['google/veo-3.1-generate-preview', 'runway/gen4.5', 'openai/sora-2'] },
    master: { strategy: 'fallback', targets: ['openai/sora-2-pro', 'google/veo-3.1-generate-preview', 'runway/gen4.5'] },
  },
  speech: {
    draft: { strategy: 'cheapest', targets: ['openai/tts-1', 'elevenlabs/eleven_flash_v2_5'] },
    standard: { strategy: 'fallback', targets: ['openai/gpt-4o-mini-tts', 'elevenlabs/eleven_flash_v2_5'] },
    high: { strategy: 'fallback', targets: ['elevenlabs/eleven_multilingual_v2', 'openai/tts-1-hd', 'openai/gpt-4o-mini-tts'] },
    master: { strategy: 'fallback', targets: ['elevenlabs/eleven_v3', 'elevenlabs/eleven_multilingual_v2', 'openai/tts-1-hd'] },
  },
};

export function isQualityTier(name: string): name is QualityTier {
  return (qualityTiers as readonly string[]).includes(name);
}

/** Every tier of every kind, for listings and checks. */
export function builtInRoutes(): { kind: JobKind; tier: QualityTier; route: BuiltInRoute }[] {
  return (Object.keys(tiers) as JobKind[]).flatMap((kind) => qualityTiers.map((tier) => ({ kind, tier, route: builtInRoute(kind, tier) })));
}

export function builtInRoute(kind: JobKind, tier: QualityTier): BuiltInRoute {
  return { ...tiers[kind][tier], lastResort: lastResort[kind] };
}
