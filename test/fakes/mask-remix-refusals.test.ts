// A mask or a remix reaches only models that declare they take one: every other model of every
// provider refuses it from its capabilities, naming the request field, instead of dropping it.
import { InputError } from '@mediagate/core';
import {
  createCloudProviders,
  createLocalProvider,
  createSimulatedProvider,
  modeFor,
  validateAgainstCapabilities,
  type ImageInput,
  type ProviderAdapter,
  type ProviderRequest,
} from '@mediagate/providers';
import { describe, expect, it } from 'vitest';

const adapters: ProviderAdapter[] = [createLocalProvider(), createSimulatedProvider({ baseURL: 'http://127.0.0.1:9' }), ...createCloudProviders()];
const image: ImageInput = { path: '/nonexistent/base.png', mime: 'image/png', width: 1024, height: 1024 };
const mask: ImageInput = { ...image, path: '/nonexistent/mask.png' };

function refusal(adapter: ProviderAdapter, model: string, request: ProviderRequest): InputError {
  const spec = adapter.models.find((candidate) => candidate.id === model);
  if (spec === undefined) throw new Error(`no ${model}`);
  try {
    validateAgainstCapabilities(adapter.id, spec, request);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`${adapter.id}/${model} accepted it`);
}

function baseRequest(adapter: ProviderAdapter, model: string): ProviderRequest {
  const spec = adapter.models.find((candidate) => candidate.id === model);
  const kind = spec?.capabilities.kind ?? 'image';
  const images = spec?.capabilities.modes.some((mode) => mode.startsWith('image-to')) ? [image] : [];
  return { kind, mode: modeFor(kind, images.length), model, prompt: 'a lighthouse', params: {}, images };
}

const models = adapters.flatMap((adapter) => adapter.models.map((spec) => ({ adapter, spec, target: `${adapter.id}/${spec.id}` })));

describe('capabilities decide who takes a mask or a remix', () => {
  it('has exactly the GPT image models take a mask and the Sora models remix', () => {
    expect(models.filter(({ spec }) => spec.capabilities.mask === true).map(({ target }) => target)).toEqual([
      'openai/gpt-image-1',
      'openai/gpt-image-1-mini',
      'openai/gpt-image-1.5',
      'openai/gpt-image-2',
    ]);
    expect(models.filter(({ spec }) => spec.capabilities.remix === true).map(({ target }) => target)).toEqual(['openai/sora-2', 'openai/sora-2-pro']);
  });

  it.each(models.filter(({ spec }) => spec.capabilities.mask !== true).map(({ adapter, spec, target }) => [target, adapter, spec.id] as const))(
    '%s refuses a mask naming mask_asset_id',
    (target, adapter, model) => {
      const error = refusal(adapter, model, { ...baseRequest(adapter, model), mask });
      expect(error.field).toBe('mask_asset_id');
      expect(error.message).toBe(`mask_asset_id: ${target} takes no mask; leave it out or pick a model whose capabilities say mask`);
    },
  );

  it.each(models.filter(({ spec }) => spec.capabilities.remix !== true).map(({ adapter, spec, target }) => [target, adapter, spec.id] as const))(
    '%s refuses a remix naming remix_of',
    (target, adapter, model) => {
      const remix = { jobId: 'job_1', provider: adapter.id, model, operation: { id: 'op_1' }, params: {} };
      const error = refusal(adapter, model, { ...baseRequest(adapter, model), remix });
      expect(error.field).toBe('remix_of');
      expect(error.message).toBe(`remix_of: ${target} cannot remix; job job_1 was made by ${target}`);
    },
  );
});
