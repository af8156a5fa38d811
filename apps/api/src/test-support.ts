// Helpers shared by the API's test files: reading the one error shape out of an injected
// response, and totals that prove a rejected request wrote and sent nothing.
import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { Harness } from '../../../test/support/harness.ts';

export interface ApiErrorBody {
  error: { code: string; message: string; field?: string; allowed?: (string | number)[] };
}

/** True when `value` is exactly the API's error shape (extra keys inside `error` are not allowed). */
export function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || Object.keys(value).join() !== 'error') return false;
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const fields = error as Record<string, unknown>;
  const known = new Set(['code', 'message', 'field', 'allowed']);
  return (
    typeof fields.code === 'string' &&
    typeof fields.message === 'string' &&
    (fields.field === undefined || typeof fields.field === 'string') &&
    Object.keys(fields).every((key) => known.has(key))
  );
}

/** Asserts a JSON error answer with `status` (and `field`, when given) and returns its body. */
export function expectApiError(response: LightMyRequestResponse, status: number, field?: string): ApiErrorBody['error'] {
  expect(response.statusCode, response.body.slice(0, 500)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body: unknown = response.json();
  expect(isErrorBody(body), response.body.slice(0, 500)).toBe(true);
  const { error } = body as ApiErrorBody;
  if (field !== undefined) expect(error.field).toBe(field);
  return error;
}

/** Jobs in the database (every status) plus submits the simulated provider has received. */
export async function sideEffects(harness: Harness): Promise<{ jobs: number; submits: number }> {
  const counts = await harness.runtime.repo.countJobs();
  const jobs = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return { jobs, submits: harness.simulated.stats().submits };
}
