// What the adapter tests under test/fakes/ check the same way for every provider: a request run
// through the declared capabilities and the adapter's own rules (as the worker does before
// submit), and the ProviderError or InputError a call must end in.
import { expect } from 'vitest';
import { InputError, ProviderError } from '@mediagate/core';
import { validateAgainstCapabilities, type ProviderAdapter, type ProviderRequest } from '@mediagate/providers';

/** What the worker does before submit: the declared capabilities, then the adapter's own rules. */
export function validateRequest(adapter: ProviderAdapter, providerRequest: ProviderRequest): void {
  const spec = adapter.models.find((model) => model.id === providerRequest.model);
  if (!spec) throw new Error(`no model ${providerRequest.model}`);
  validateAgainstCapabilities(adapter.id, spec, providerRequest);
  adapter.validate?.(providerRequest);
}

/** The ProviderError the promise rejects with; fails the test on success or any other error. */
export async function providerFailure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** The InputError the call throws; fails the test when it returns or throws anything else. */
export function inputError(run: () => void): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}
