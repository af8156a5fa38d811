// Resolving a request's `model` and `fallbacks` into the ordered targets a job may be sent to,
// and building the normalized request each provider receives.
import {
  InputError,
  parseTarget,
  type GenerationRequest,
  type JobKind,
  type Target,
} from '@mediagate/core';
import { modeFor, type ImageInput, type ProviderRequest, type ProviderRegistry } from '@mediagate/providers';

/** What a request without `model` runs on: the local providers, so it works with no keys. */
export const defaultTargets: Record<JobKind, Target> = {
  image: { provider: 'local', model: 'card' },
  video: { provider: 'local', model: 'motion' },
  speech: { provider: 'local', model: 'tts' },
};

function toTarget(value: string, field: string, registry: ProviderRegistry): Target {
  const target = parseTarget(value);
  if (target === undefined) {
    throw new InputError(`${field}: "${value}" is not "provider/model"; available: ${registry.targets().join(', ')}`, {
      field,
      allowed: registry.targets(),
    });
  }
  registry.resolve(target, field);
  return target;
}

export function resolveTargets(request: GenerationRequest, registry: ProviderRegistry): Target[] {
  const first = request.model === undefined ? defaultTargets[request.kind] : toTarget(request.model, 'model', registry);
  const rest = (request.fallbacks ?? []).map((value, index) => toTarget(value, `fallbacks[${index}]`, registry));
  return [first, ...rest];
}

export function toProviderRequest(request: GenerationRequest, target: Target, images: ImageInput[]): ProviderRequest {
  return {
    kind: request.kind,
    mode: modeFor(request.kind, images.length),
    model: target.model,
    prompt: request.prompt,
    params: request.params,
    images,
  };
}
