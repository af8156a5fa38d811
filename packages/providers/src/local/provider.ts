// The `local` provider: card images, espeak-ng speech and ffmpeg video, all on this machine with
// no keys and no network. Each model lives in its own folder; this file only dispatches.
import { InputError } from '@mediagate/core';
import type { CallContext, ProviderAdapter, ProviderHealth, ProviderRequest, SubmitResult } from '../contract.ts';
import { cardModel, generateCard } from './card/index.ts';
import { generateMotion, motionHealth, motionModel, validateMotionRequest } from './motion/index.ts';
import { generateSpeech, ttsHealth, ttsModel } from './tts/index.ts';

type Generate = (request: ProviderRequest, ctx: CallContext) => Promise<SubmitResult>;

const generators: Record<string, Generate> = {
  card: generateCard,
  tts: generateSpeech,
  motion: generateMotion,
};

export function createLocalProvider(): ProviderAdapter {
  return {
    id: 'local',
    displayName: 'Local (card images, espeak-ng speech, ffmpeg video)',
    requiresKey: false,
    paid: false,
    models: [cardModel, ttsModel, motionModel],
    // Rendering and encoding are CPU-bound: more than a couple at once only queue inside libvips/ffmpeg.
    defaultConcurrency: 2,
    attemptTimeoutMs: 10 * 60_000,
    validate(request) {
      if (request.model === 'motion') validateMotionRequest(request);
    },
    submit(request, ctx) {
      const generate = generators[request.model];
      if (generate === undefined) {
        throw new InputError(`model: local has no model "${request.model}"`, {
          field: 'model',
          allowed: Object.keys(generators).map((id) => `local/${id}`),
        });
      }
      return generate(request, ctx);
    },
    async health(): Promise<ProviderHealth> {
      // One provider, two engines: report both, unavailable if either is.
      const [speech, video] = await Promise.all([ttsHealth(), motionHealth()]);
      const status = speech.status === 'ok' && video.status === 'ok' ? 'ok' : 'unavailable';
      return { status, message: [`speech: ${speech.message ?? speech.status}`, `video: ${video.message ?? video.status}`].join('; ') };
    },
  };
}
