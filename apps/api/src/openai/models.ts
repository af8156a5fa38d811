// How OpenAI model and voice names map onto Mediagate targets for the OpenAI-compatible routes:
// "provider/model" passes through, OpenAI's own names go to a configurable default per kind.
import { InputError, parseTarget, type JobKind } from '@mediagate/core';
import type { Runtime } from '@mediagate/engine';
import type { ModelSpec } from '@mediagate/providers';

/** OpenAI's model names per kind, as its SDK and docs spell them (dated snapshots included). */
export const openAiModels: Record<JobKind, readonly string[]> = {
  image: ['gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5', 'gpt-image-2', 'dall-e-2', 'dall-e-3'],
  speech: ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts', 'gpt-4o-mini-tts-2025-03-20', 'tts-1-1106', 'tts-1-hd-1106'],
  video: ['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08'],
};

/** OpenAI's voices; none exists in espeak-ng, so each speaks with `OpenAiDefaults.voice`. */
export const openAiVoices = [
  'alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse', 'marin', 'cedar',
] as const;

export interface OpenAiDefaults {
  /** "provider/model" that OpenAI model names of each kind run on. */
  targets: Record<JobKind, string>;
  /** The voice OpenAI voice names are spoken with. */
  voice: string;
}

/**
 * OpenAI's model names run on the local providers by default, so the routes work with no keys;
 * `MEDIAGATE_OPENAI_{IMAGE,SPEECH,VIDEO}_MODEL` (e.g. `openai/gpt-image-1`) and `_VOICE` override them.
 */
export function openAiDefaultsFromEnv(env: NodeJS.ProcessEnv = process.env): OpenAiDefaults {
  return {
    targets: {
      image: env.MEDIAGATE_OPENAI_IMAGE_MODEL || 'local/card',
      speech: env.MEDIAGATE_OPENAI_SPEECH_MODEL || 'local/tts',
      video: env.MEDIAGATE_OPENAI_VIDEO_MODEL || 'local/motion',
    },
    voice: env.MEDIAGATE_OPENAI_VOICE || 'en-us',
  };
}

/** The "provider/model" a request's `model` names; OpenAI names and an absent model take the default. */
export function resolveOpenAiModel(kind: JobKind, model: string | undefined, defaults: OpenAiDefaults): string {
  if (model === undefined || openAiModels[kind].includes(model)) return defaults.targets[kind];
  if (parseTarget(model) !== undefined) return model;
  const allowed = [...openAiModels[kind], 'provider/model, e.g. ' + defaults.targets[kind]];
  throw new InputError(`model: unknown model "${model}"; use one of ${allowed.join(', ')}`, { field: 'model', allowed });
}

/** The model spec behind a target; an unknown one is a 400 naming `model`. */
export function specOf(runtime: Runtime, target: string): ModelSpec {
  const parsed = parseTarget(target);
  if (parsed === undefined) throw new InputError(`model: "${target}" is not "provider/model"`, { field: 'model' });
  return runtime.providers.resolve(parsed, 'model').spec;
}

export function honors(spec: ModelSpec, param: string): boolean {
  return (spec.capabilities.params as readonly string[]).includes(param);
}
