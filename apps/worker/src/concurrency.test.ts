// MEDIAGATE_CONCURRENCY_<PROVIDER>: read once at start, and a bad value or an unknown provider
// stops the start naming the variable, rather than being ignored.
import { describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import { concurrencyOverrides } from './index.ts';

const providers = ['local', 'simulated', 'openai'];

function refusal(env: Record<string, string>): InputError {
  try {
    concurrencyOverrides(env, providers);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('concurrencyOverrides', () => {
  it('reads whole numbers for known providers and ignores other variables', () => {
    const overrides = concurrencyOverrides({ MEDIAGATE_CONCURRENCY_SIMULATED: '8', MEDIAGATE_CONCURRENCY_OPENAI: ' 2 ', MEDIAGATE_HOME: '/x' }, providers);
    expect([...overrides]).toEqual([
      ['simulated', 8],
      ['openai', 2],
    ]);
  });

  it.each(['abc', '0', '-1', '1.5', '', '1e3'])('refuses %j, naming the variable', (value) => {
    const error = refusal({ MEDIAGATE_CONCURRENCY_SIMULATED: value });
    expect(error.field).toBe('MEDIAGATE_CONCURRENCY_SIMULATED');
    expect(error.message).toBe(`MEDIAGATE_CONCURRENCY_SIMULATED: "${value}" is not a whole number of jobs at once (1 or more)`);
  });

  it('refuses a provider it does not have, listing the variables it reads', () => {
    const error = refusal({ MEDIAGATE_CONCURRENCY_OPNAI: '4' });
    expect(error.field).toBe('MEDIAGATE_CONCURRENCY_OPNAI');
    expect(error.allowed).toEqual(['MEDIAGATE_CONCURRENCY_LOCAL', 'MEDIAGATE_CONCURRENCY_SIMULATED', 'MEDIAGATE_CONCURRENCY_OPENAI']);
    expect(error.message).toMatch(/^MEDIAGATE_CONCURRENCY_OPNAI: no provider is called OPNAI; allowed: MEDIAGATE_CONCURRENCY_LOCAL, /);
  });
});
