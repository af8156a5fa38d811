// What a request without `model` runs on, and the normalized request each provider receives.
// Routes and "provider/model" are resolved into a job's targets in routing/plan.ts.
import type { GenerationRequest, JobKind, Target } from '@mediagate/core';
import { modeFor, type ImageInput, type ProviderRequest } from '@mediagate/providers';
import type { ProviderInputs } from './inputs.ts';

/** What a request without `model` runs on: the local providers, so it works with no keys. */
export const defaultTargets: Record<JobKind, Target> = {
  image: { provider: 'local', model: 'card' },
  video: { provider: 'local', model: 'motion' },
  speech: { provider: 'local', model: 'tts' },
};

export function toProviderRequest(request: GenerationRequest, target: Target, images: ImageInput[], inputs: ProviderInputs = {}): ProviderRequest {
  return {
    kind: request.kind,
    mode: modeFor(request.kind, images.length),
    model: target.model,
    prompt: request.prompt,
    params: request.params,
    images,
    ...(inputs.mask ? { mask: inputs.mask } : {}),
    ...(inputs.remix ? { remix: inputs.remix } : {}),
  };
}
