// Any Replicate model outside the mapped list: "replicate/<owner>/<name>" (the model's current
// version, POST /v1/models/{owner}/{name}/predictions) or "replicate/<owner>/<name>:<version>"
// (POST /v1/predictions with that version). The job's kind says what output to expect; the worker
// verifies it is that media as for any model.
//
// Mediagate does not know such a model's input names, and Replicate drops inputs a model does
// not declare without an error (replicate/cog#2943), so nothing is guessed: the prompt goes to
// `prompt`, `params.provider_input` carries the model's own inputs, and every other normalized
// param (seed, aspect_ratio, negative_prompt, reference images…) is refused with a 4xx. Its price
// is unknown too: the estimate says so (usd null) and budgets refuse the job rather than count $0.
import { InputError, type GenerationMode, type JobKind } from '@mediagate/core';
import type { ModelSpec } from '../contract.ts';
import { withProviderInput, type ReplicateModel } from './replicate-models.ts';

const namePattern = /^([a-z0-9][a-z0-9_.-]{0,99})\/([a-z0-9][a-z0-9_.-]{0,99})(?::([0-9a-f]{64}))?$/;

const textModes: Record<JobKind, GenerationMode> = { image: 'text-to-image', video: 'text-to-video', speech: 'text-to-speech' };
const defaultFormats = { image: 'png', video: 'mp4', speech: 'wav' } as const;

/** Why a model id is not one Replicate could run, or undefined when it has the right shape. */
export function replicateNameProblem(id: string): string | undefined {
  if (namePattern.test(id)) return undefined;
  return `"${id}" is not a Replicate model: give replicate/<owner>/<name> or replicate/<owner>/<name>:<64-hex version> (lower-case letters, digits, _ . -)`;
}

/** A model Mediagate has no mapping for, run as `kind`; throws InputError naming `field` for a malformed id. */
export function anyReplicateModel(id: string, kind: JobKind, field = 'model'): ReplicateModel {
  const match = namePattern.exec(id);
  if (!match?.[1] || !match[2]) throw new InputError(`${field}: ${replicateNameProblem(id) ?? id}`, { field });
  const model = `${match[1]}/${match[2]}`;
  const version = match[3];
  const spec: ModelSpec = {
    id,
    description: `${model}${version ? ` at version ${version.slice(0, 12)}…` : ''} on Replicate (${kind}); inputs in params.provider_input, price unknown`,
    capabilities: {
      kind,
      modes: [textModes[kind]],
      params: ['provider_input'],
      maxN: 1,
      defaultFormat: defaultFormats[kind],
      async: true,
      cancel: true,
    },
    pricing: [],
    estimate: () => ({
      usd: null,
      basis: `unknown: replicate/${model} is not in Mediagate's price list (Replicate bills it by its own price or by hardware time)`,
    }),
  };
  return {
    model,
    ...(version ? { version } : {}),
    input: (request) => withProviderInput(id, { prompt: request.prompt }, request),
    spec,
  };
}
