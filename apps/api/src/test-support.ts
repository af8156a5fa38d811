// Helpers shared by the API's test files: an API with a tenant key and an inject that sends it,
// reading the one error shape out of an injected response, totals that prove a rejected
// request wrote and sent nothing, and multipart bodies.
import { expect } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { defaultTenantId, type BudgetRefusal, type Runtime } from '@mediagate/engine';
import type { Harness } from '../../../test/support/harness.ts';
import { issueApiKey } from './auth/api-keys.ts';
import { buildApi, type ApiOptions } from './index.ts';

/** `app.inject` with a tenant's key: a request's own `authorization` header (even undefined, for none) wins. */
export type Inject = (options: InjectOptions) => Promise<LightMyRequestResponse>;

/** Makes a key for `tenantId` (created when new) and returns it. */
export async function createTestKey(runtime: Runtime, tenantId: string = defaultTenantId): Promise<string> {
  return (await issueApiKey(runtime.repo, { id: tenantId })).key;
}

/** `{ authorization: 'Bearer <key>' }`, for fetch, SSE clients and the openai client's headers. */
export function bearer(apiKey: string): { authorization: string } {
  return { authorization: `Bearer ${apiKey}` };
}

export function injectAs(app: FastifyInstance, apiKey: string): Inject {
  return (options) => {
    const headers: Record<string, string | string[] | undefined> = { ...bearer(apiKey), ...(options.headers as Record<string, string | string[] | undefined>) };
    if (headers.authorization === undefined) delete headers.authorization;
    return app.inject({ ...options, headers: headers as InjectOptions['headers'] });
  };
}

export interface TestApi {
  app: FastifyInstance;
  /** The tenant the key belongs to: the default tenant unless asked otherwise (where harness.submit puts jobs). */
  tenantId: string;
  apiKey: string;
  /** Requests as that tenant. */
  inject: Inject;
}

/**
 * The API over `runtime` plus a key for `tenantId` (default: the default tenant):
 *   const api = await buildTestApi(harness.runtime, { logger: false });
 *   await api.inject({ method: 'GET', url: '/v1/jobs' });
 */
export async function buildTestApi(runtime: Runtime, options: ApiOptions & { tenantId?: string } = {}): Promise<TestApi> {
  const { tenantId = defaultTenantId, ...apiOptions } = options;
  const app = await buildApi(runtime, { logger: false, ...apiOptions });
  const apiKey = await createTestKey(runtime, tenantId);
  return { app, tenantId, apiKey, inject: injectAs(app, apiKey) };
}

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
    allowed?: (string | number)[];
    budget?: BudgetRefusal;
  };
}

/**
 * True when `value` is exactly the API's error shape (extra keys inside `error` are not
 * allowed; `budget` only on a budget_exceeded refusal).
 */
export function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null || Object.keys(value).join() !== 'error') return false;
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const fields = error as Record<string, unknown>;
  const known = new Set(['code', 'message', 'field', 'allowed', 'budget']);
  return (
    typeof fields.code === 'string' &&
    typeof fields.message === 'string' &&
    (fields.field === undefined || typeof fields.field === 'string') &&
    (fields.budget === undefined || fields.code === 'budget_exceeded') &&
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

/** A multipart/form-data body with the given parts, as a browser or curl -F sends it. */
export function formBody(parts: { name: string; filename?: string; type?: string; content: Buffer | string }[]) {
  const boundary = '----mediagate-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const type = part.type ? `\r\nContent-Type: ${part.type}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
