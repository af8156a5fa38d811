// Seeded fuzzing of every route, the OpenAI-compatible ones and uploads included: broken JSON,
// wrong types, huge strings, bad multipart, headers, Authorization, query strings and path
// parameters must never produce a 5xx, and every refusal is the error shape (OpenAI's on its routes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import { fuzzCase, Generator, prng, schedule, type FuzzCase, type FuzzContext, type FuzzRoute } from './api-fuzz-cases.ts';
import type { OpenApiDocument } from './openapi/document.ts';
import { bearer, buildTestApi, isErrorBody, sideEffects } from './test-support.ts';

// FUZZ_SEED=<n> replays a run; FUZZ_CASES=<n> runs longer.
const seed = Number(process.env.FUZZ_SEED ?? 20261121);
const caseCount = Number(process.env.FUZZ_CASES ?? 5000);
const inFlight = 8;

/** The routes and what their bodies look like; routes the API adds later are found in /openapi.json. */
const knownRoutes: FuzzRoute[] = [
  { method: 'POST', path: '/v1/jobs', body: 'job' },
  { method: 'GET', path: '/v1/jobs', body: 'none', query: { status: 'queued', kind: 'image', provider: 'simulated', batch_id: 'b', created_after: '2026-01-01T00:00:00Z', limit: '5', before: 'job_x' } },
  { method: 'GET', path: '/v1/jobs/:id', body: 'none' },
  { method: 'POST', path: '/v1/jobs/:id/cancel', body: 'none' },
  { method: 'DELETE', path: '/v1/jobs/:id', body: 'none', destructive: true },
  { method: 'GET', path: '/v1/jobs/:id/events', body: 'none', query: { after: '0' } },
  { method: 'GET', path: '/v1/events', body: 'none', streams: true },
  { method: 'POST', path: '/v1/estimate', body: 'job' },
  { method: 'POST', path: '/v1/uploads', body: 'upload' },
  { method: 'GET', path: '/v1/assets/:id', body: 'none' },
  { method: 'GET', path: '/v1/assets/:id/content', body: 'none', query: { expires: '9999999999', signature: 'abc' } },
  { method: 'POST', path: '/v1/assets/:id/share', body: 'json', fields: { expires_in: 60 } },
  { method: 'GET', path: '/v1/providers', body: 'none', weight: 1 },
  { method: 'POST', path: '/v1/images/generations', body: 'openai-image' },
  { method: 'POST', path: '/v1/images/edits', body: 'image-edit' },
  { method: 'POST', path: '/v1/audio/speech', body: 'openai-speech' },
  { method: 'POST', path: '/v1/videos', body: 'openai-video' },
  { method: 'GET', path: '/v1/videos', body: 'none', query: { after: 'vid_x', limit: '5', order: 'asc' } },
  { method: 'GET', path: '/v1/videos/:id', body: 'none' },
  { method: 'GET', path: '/v1/videos/:id/content', body: 'none', query: { variant: 'video' } },
  { method: 'POST', path: '/v1/videos/:id/remix', body: 'json', fields: { prompt: 'fuzz' } },
  { method: 'POST', path: '/v1/admin/keys', body: 'json', fields: { tenant_id: 'fuzz', tenant_name: 'Fuzz' } },
  { method: 'GET', path: '/v1/admin/keys', body: 'none', query: { tenant_id: 'fuzz', active: 'true' } },
  { method: 'DELETE', path: '/v1/admin/keys/:id', body: 'none', destructive: true },
  { method: 'GET', path: '/admin/queues', body: 'none', weight: 1 },
  { method: 'GET', path: '/healthz', body: 'none', weight: 1 },
  { method: 'GET', path: '/readyz', body: 'none', weight: 1 },
  { method: 'GET', path: '/openapi.json', body: 'none', weight: 1 },
  { method: 'GET', path: '/metrics', body: 'none', weight: 1 },
  // Routes that do not exist, and methods a route does not have.
  { method: 'POST', path: '/v1/providers', body: 'json' },
  { method: 'DELETE', path: '/v1/uploads', body: 'none' },
  { method: 'GET', path: '/v1/nothing/:id', body: 'none' },
  { method: 'POST', path: '/v2/jobs', body: 'job' },
];

/** OpenAI's dialect: `{ error: { message, type?, param?, code } }`, which its client reads. */
function isOpenAiErrorBody(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Object.keys(value).join() !== 'error') return false;
  const error = (value as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return false;
  const fields = error as Record<string, unknown>;
  const known = new Set(['message', 'type', 'param', 'code', 'field', 'allowed']);
  return (
    typeof fields.message === 'string' &&
    fields.message !== '' &&
    (typeof fields.code === 'string' || fields.code === null) &&
    (fields.type === undefined || typeof fields.type === 'string') &&
    (fields.param === undefined || fields.param === null || typeof fields.param === 'string') &&
    Object.keys(fields).every((key) => known.has(key))
  );
}

const adminKey = 'fuzz-admin-key-0123456789abcdef';
/** The routes that make a job when they accept a request. */
const jobMakers = new Set(['POST /v1/jobs', 'POST /v1/images/generations', 'POST /v1/images/edits', 'POST /v1/audio/speech', 'POST /v1/videos', 'POST /v1/videos/:id/remix']);
const openAiPaths = ['/v1/images/', '/v1/audio/', '/v1/videos'];
const needsTenantKey = (url: string) => (url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?')) && !url.startsWith('/v1/admin');

let harness: Harness;
let app: FastifyInstance;
let context: FuzzContext;
let routes: FuzzRoute[];
let turns: FuzzRoute[];

beforeAll(async () => {
  // OpenAI image and speech requests answer when their job ends: valid ones run on the simulated
  // provider (no rendering) so that a valid case by chance stays cheap.
  process.env.MEDIAGATE_OPENAI_IMAGE_MODEL = 'simulated/image';
  process.env.MEDIAGATE_OPENAI_SPEECH_MODEL = 'simulated/speech';
  process.env.MEDIAGATE_OPENAI_VIDEO_MODEL = 'simulated/video';
  harness = await createHarness();
  const api = await buildTestApi(harness.runtime, { bodyLimit: 512 * 1024, adminKey });
  app = api.app;
  const job = await harness.submit({ kind: 'image', prompt: 'fuzz target', model: 'simulated/image', params: { width: 64, height: 64 } });
  const done = await harness.waitFor(job.id);
  const [asset] = await harness.runtime.repo.listJobAssets(done.id);
  context = { authorization: bearer(api.apiKey).authorization, adminAuthorization: `Bearer ${adminKey}`, jobId: done.id, assetId: asset?.id ?? 'ast_missing' };

  // Every documented route is fuzzed: those without a hand-written entry get generic bodies.
  const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
  const documented = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{\w+\}/g, ':id') })),
  );
  const extra = documented
    .filter(({ method, path }) => ['GET', 'POST', 'DELETE'].includes(method) && !knownRoutes.some((route) => route.method === method && route.path === path))
    .map(({ method, path }): FuzzRoute => ({ method: method as FuzzRoute['method'], path, body: method === 'POST' ? 'json' : 'none' }));
  routes = [...knownRoutes, ...extra];
  turns = schedule(routes);
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
  delete process.env.MEDIAGATE_OPENAI_IMAGE_MODEL;
  delete process.env.MEDIAGATE_OPENAI_SPEECH_MODEL;
  delete process.env.MEDIAGATE_OPENAI_VIDEO_MODEL;
});

/** Until no job is queued or running, so the provider's count is final. */
async function waitUntilIdle(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const counts = await harness.runtime.repo.countJobs();
    if ((counts.queued ?? 0) + (counts.running ?? 0) === 0 || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('fuzzing every route', () => {
  it(`never answers 5xx and always the error shape (seed ${seed}, ${caseCount} cases)`, async () => {
    const gen = new Generator(prng(seed));
    const failures: string[] = [];
    const codes = new Set<string>();
    const refusedByRoute = new Map<string, number>();
    let authCases = 0;
    let accepted = 0;
    let unauthorized = 0;
    const check = (index: number, fuzz: FuzzCase, response: LightMyRequestResponse) => {
      const { route } = fuzz;
      const where = `case ${index} (${route.method} ${route.path}: ${fuzz.label}; seed ${seed}): ${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode >= 500) {
        failures.push(where);
        return;
      }
      if (fuzz.auth === 'fuzzed' && needsTenantKey(fuzz.request.url)) {
        // Refused, always: by the key check, or before it (a URL that does not parse, a signed link's own check).
        authCases++;
        if (response.statusCode === 401) unauthorized++;
        else if (response.statusCode < 400) failures.push(`${where} (a bad Authorization header was let in)`);
      }
      if (response.statusCode < 400) return;
      let body: unknown;
      try {
        body = JSON.parse(response.body);
      } catch {
        body = undefined;
      }
      const openAi = openAiPaths.some((prefix) => fuzz.request.url.startsWith(prefix));
      if (!(openAi ? isOpenAiErrorBody(body) || isErrorBody(body) : isErrorBody(body))) failures.push(`${where} (not the error shape)`);
      else if (!String(response.headers['content-type']).startsWith('application/json')) failures.push(`${where} (content-type)`);
      else {
        const code = (body as { error: { code: string | null } }).error.code;
        if (code !== null) codes.add(code);
        const name = `${route.method} ${route.path}`;
        if (response.statusCode !== 401) refusedByRoute.set(name, (refusedByRoute.get(name) ?? 0) + 1);
      }
    };
    // A few requests in flight, as a server sees them; each case is still made in seed order.
    let next = 0;
    const before = await sideEffects(harness);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < caseCount) {
          const index = next++;
          const fuzz = fuzzCase(gen, turns[index % turns.length] as FuzzRoute, context);
          const response = await app.inject(fuzz.request);
          if (response.statusCode < 300 && jobMakers.has(`${fuzz.route.method} ${fuzz.route.path}`)) accepted++;
          check(index, fuzz, response);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // Only accepted requests made jobs (a replayed Idempotency-Key makes none), and only jobs reached the provider.
    await waitUntilIdle();
    const after = await sideEffects(harness);
    expect(after.jobs - before.jobs).toBeLessThanOrEqual(accepted);
    expect(after.submits - before.submits).toBeLessThanOrEqual(after.jobs - before.jobs);
    process.stdout.write(`api fuzz: ${caseCount} requests over ${routes.length} routes in ${seconds.toFixed(1)} s; ${accepted} accepted, ${after.jobs - before.jobs} jobs\n`);
    expect(failures.slice(0, 10)).toEqual([]);
    // The mix reached every kind of refusal, past authentication into each route's own checks.
    expect([...codes].sort()).toEqual(
      expect.arrayContaining(['invalid_json', 'invalid_request', 'payload_too_large', 'unsupported_media_type', 'not_found', 'uri_too_long']),
    );
    expect(authCases).toBeGreaterThan(caseCount * 0.1);
    expect(unauthorized).toBeGreaterThan(authCases * 0.9);
    expect([...codes]).toEqual(expect.arrayContaining(['unauthorized', 'invalid_api_key']));
    for (const route of routes.filter((candidate) => candidate.method !== 'GET' || candidate.path.includes(':id'))) {
      expect(refusedByRoute.get(`${route.method} ${route.path}`) ?? 0, `${route.method} ${route.path} refused nothing but keys`).toBeGreaterThan(0);
    }
  });
});

describe('what the fuzz found', () => {
  it('refuses a queue board query the database could not store as a 400, not the board\'s 500', async () => {
    const response = await app.inject({ method: 'GET', url: '/admin/queues?x=%00', headers: { authorization: `Bearer ${adminKey}` } });
    expect(response.statusCode).toBe(400);
    expect(isErrorBody(response.json())).toBe(true);
  });
});
