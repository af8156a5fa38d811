// Operations routes and the API description, driven through app.inject() against a real runtime:
// readiness with Redis up and down, Prometheus metrics that follow real jobs, /openapi.json, /docs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createRedis } from '@mediagate/engine';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { buildApi } from '../index.ts';
import { installOpenApi } from '../openapi/routes-openapi.ts';
import { assetViewSchema, errorBodySchema, jobListSchema, jobViewSchema } from '../openapi/view-schemas.ts';
import type { OpenApiDocument } from '../openapi/document.ts';
import { createTestKey, injectAs } from '../test-support.ts';

let harness: Harness;
let app: FastifyInstance;

beforeAll(async () => {
  harness = await createHarness();
  app = await buildApi(harness.runtime, { logger: false });
});
afterAll(async () => {
  await app?.close();
  await harness?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition strictly enough to fail on anything malformed. */
function parsePrometheus(text: string): Sample[] {
  const typed = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) typed.add(type[1] as string);
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(match, `not a sample line: ${line}`).not.toBeNull();
    const [, name, rawLabels, value] = match as RegExpExecArray;
    const labels = Object.fromEntries([...(rawLabels ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
    const family = [...typed].find((known) => name === known || /^_(bucket|sum|count|total|created)$/.test((name as string).slice(known.length)));
    expect(family, `sample ${name} has no # TYPE line`).toBeDefined();
    // Go's float syntax, which Prometheus parses with: NaN and Inf in any case.
    expect(value, line).toMatch(/^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?inf|nan)$/i);
    samples.push({ name: name as string, labels, value: Number(value) });
  }
  return samples;
}

async function scrape(): Promise<Sample[]> {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(response.body);
}

const jobsOf = (samples: Sample[], labels: Record<string, string>) =>
  samples.filter((sample) => sample.name === 'mediagate_jobs' && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)).reduce((sum, sample) => sum + sample.value, 0);

describe('GET /readyz', () => {
  it('is ok when Redis and the database answer', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { redis: 'ok', database: 'ok' } });
  });

  it('is 503 naming redis when Redis does not answer', async () => {
    // A real client on a port nobody listens on: its PING never gets an answer.
    const deadRedis = createRedis('redis://127.0.0.1:1');
    deadRedis.on('error', () => {});
    const broken = await buildApi({ ...harness.runtime, redis: deadRedis }, { logger: false });
    try {
      const response = await broken.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      const body = response.json<{ status: string; checks: Record<string, string>; error: { code: string; message: string } }>();
      expect(body.status).toBe('unavailable');
      expect(body.checks).toEqual({ redis: 'timeout', database: 'ok' });
      expect(body.error.message).toContain('redis');
      // Liveness is not readiness: the process itself is fine.
      expect((await broken.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await broken.close();
      deadRedis.disconnect();
    }
  });
});

describe('GET /metrics', () => {
  it('counts jobs by status, kind and provider as they run, with process metrics', async () => {
    const before = await scrape();
    expect(before.some((sample) => sample.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(before.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    const succeeded = { status: 'succeeded', kind: 'image', provider: 'simulated' };

    const job = await harness.submit({ kind: 'image', prompt: 'Metrics', model: 'simulated/image', params: { width: 64, height: 64 } });
    expect((await harness.waitFor(job.id)).status).toBe('succeeded');
    const after = await scrape();
    expect(jobsOf(after, succeeded)).toBe(jobsOf(before, succeeded) + 1);
    expect(jobsOf(after, {})).toBe(jobsOf(before, {}) + 1);
    // The workers run in this process: their instruments are on the same page.
    const attempts = (samples: Sample[]) =>
      samples.find((sample) => sample.name === 'mediagate_attempt_duration_seconds_count' && sample.labels.provider === 'simulated' && sample.labels.outcome === 'succeeded')?.value ?? 0;
    // The worker observes the attempt just after the job's completion is visible: poll for it.
    await vi.waitFor(async () => expect(attempts(await scrape())).toBe(attempts(before) + 1), { timeout: 10_000, interval: 50 });
    expect((await scrape()).some((sample) => sample.name === 'mediagate_spend_usd_total' && sample.labels.model === 'image')).toBe(true);
  });

  it('reports the depth of every provider queue by state, following entries waiting in it', async () => {
    const queueDepth = (samples: Sample[], provider: string, state: string) =>
      samples.find((sample) => sample.name === 'mediagate_queue_jobs' && sample.labels.provider === provider && sample.labels.state === state)?.value;
    const samples = await scrape();
    for (const provider of harness.runtime.providers.list().map((adapter) => adapter.id)) {
      for (const state of ['waiting', 'prioritized', 'delayed', 'active']) expect(queueDepth(samples, provider, state)).toBeTypeOf('number');
    }
    // An entry nobody works on (its job does not exist), delayed so no worker picks it up meanwhile.
    await harness.runtime.queues.enqueue('simulated', { jobId: 'job_metrics_probe', targetIndex: 0 }, { delayMs: 60_000 });
    try {
      expect(queueDepth(await scrape(), 'simulated', 'delayed')).toBe((queueDepth(samples, 'simulated', 'delayed') ?? 0) + 1);
    } finally {
      await harness.runtime.queues.remove('simulated', 'job_metrics_probe', 0);
    }
  });

  it('with MEDIAGATE_METRICS_TOKEN set, answers 401 without the bearer token and the page with it', async () => {
    const token = 'scrape-0123456789abcdef';
    const guarded = await buildApi({ ...harness.runtime, settings: { ...harness.runtime.settings, metricsToken: token } }, { logger: false });
    try {
      for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Bearer ${token}x`, token]) {
        const refused = await guarded.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
        expect(refused.statusCode).toBe(401);
        expect(refused.headers['www-authenticate']).toBe('Bearer');
        expect(refused.json()).toEqual({ error: { code: 'unauthorized', message: 'GET /metrics needs Authorization: Bearer <MEDIAGATE_METRICS_TOKEN>' } });
      }
      const page = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(page.statusCode).toBe(200);
      expect(parsePrometheus(page.body).some((sample) => sample.name === 'mediagate_jobs')).toBe(true);
    } finally {
      await guarded.close();
    }
  });
});

describe('GET /openapi.json', () => {
  let document: OpenApiDocument;
  beforeAll(async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    document = response.json<OpenApiDocument>();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(structuredClone(document));
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route with a summary and tags, and only routes that exist', () => {
    const expected = [
      'post /v1/jobs', 'get /v1/jobs', 'get /v1/jobs/{id}', 'post /v1/jobs/{id}/cancel', 'get /v1/jobs/{id}/events', 'get /v1/events',
      'post /v1/uploads', 'get /v1/assets/{id}', 'get /v1/assets/{id}/content', 'get /v1/providers',
      'get /healthz', 'get /readyz', 'get /metrics', 'get /openapi.json', 'get /docs', 'get /docs/reference.js',
    ];
    const listed = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(listed).toEqual(expect.arrayContaining(expected));
    expect(listed).not.toContain('head /healthz');
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(operation.tags, `${method} ${path}`).toEqual([expect.any(String)]);
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        expect(app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${path}`).toBe(true);
      }
    }
  });

  it('describes POST /v1/jobs with the request schema and the error shape', () => {
    const create = document.paths['/v1/jobs']?.post as { requestBody: { content: Record<string, { schema: { $ref: string } }> }; responses: Record<string, unknown> };
    const ref = create.requestBody.content['application/json']?.schema.$ref as string;
    const schemas = (document.components as { schemas: Record<string, { properties: Record<string, { enum?: string[] }>; required: string[] }> }).schemas;
    const request = schemas[ref.split('/').pop() as string];
    expect(request?.properties.kind?.enum).toEqual(['image', 'video', 'speech']);
    expect(request?.required).toEqual(expect.arrayContaining(['kind', 'prompt']));
    expect(request?.required).not.toContain('params');
    expect(create.responses['4XX']).toEqual({ $ref: '#/components/responses/ClientError' });
    expect(schemas.Error?.properties.error).toBeDefined();
  });

  it('has response schemas that the API\'s real answers match', async () => {
    const job = await harness.submit({ kind: 'image', prompt: 'Views', model: 'simulated/image', params: { width: 64, height: 64 } });
    await harness.waitFor(job.id);
    const inject = injectAs(app, await createTestKey(harness.runtime));
    const detail = jobViewSchema.parse((await inject({ method: 'GET', url: `/v1/jobs/${job.id}` })).json());
    expect(detail.outputs).toHaveLength(1);
    assetViewSchema.parse((await inject({ method: 'GET', url: `/v1/assets/${detail.outputs?.[0]?.id}` })).json());
    jobListSchema.parse((await inject({ method: 'GET', url: '/v1/jobs?limit=5' })).json());
    errorBodySchema.parse((await inject({ method: 'GET', url: '/v1/jobs/job_missing' })).json());
  });

  it('picks up routes registered later, described or not', async () => {
    const bare = Fastify();
    installOpenApi(bare);
    bare.get('/v1/widgets/:widget', async () => ({}));
    bare.post('/v1/gadgets', { config: { openapi: { summary: 'Make a gadget', tags: ['gadgets'], responses: { 201: { description: 'Made.' } } } } }, async () => ({}));
    await bare.ready();
    const doc = (await bare.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
    await bare.close();
    expect(doc.paths['/v1/widgets/{widget}']?.get).toMatchObject({ summary: 'GET /v1/widgets/:widget', tags: ['widgets'], parameters: [{ name: 'widget', in: 'path', required: true }] });
    expect(doc.paths['/v1/gadgets']?.post).toMatchObject({ summary: 'Make a gadget', tags: ['gadgets'] });
  });
});

describe('GET /docs', () => {
  it('serves an HTML reference whose assets all come from this server', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.body).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const references = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
    expect(references).toEqual(expect.arrayContaining(['docs/reference.js', 'openapi.json']));
    for (const reference of references) {
      const asset = await app.inject({ method: 'GET', url: new URL(reference, 'http://mediagate.test/docs').pathname });
      expect(asset.statusCode, reference).toBe(200);
      expect(asset.body).not.toMatch(/https?:\/\/(?!json-schema\.org|spdx\.org)/);
    }
  });
});
