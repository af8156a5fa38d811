// Routes through the API: each strategy puts the target it should first (from observations
// seeded into the fleet's stats, or a seeded random source), fan-out keeps every result with its
// provider/model, tiers end on the local providers, unknown names are a 400 that lists the valid
// ones, and an open circuit moves jobs past its provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { newId } from '@mediagate/core';
import { JobRunner, defaultTenantId, planJob, routing, seededRandom } from '@mediagate/engine';
import { createSimulatedProvider, startSimulatedServer, type SimulatedServer } from '@mediagate/providers';
import { createHarness, type Harness } from '../../../test/support/harness.ts';
import type { JobView } from './index.ts';
import { buildTestApi, expectApiError, sideEffects, type Inject, type TestApi } from './test-support.ts';

let harness: Harness;
let second: SimulatedServer;
let api: TestApi;
let inject: Inject;

beforeAll(async () => {
  // A second simulated provider, "sim2", on a server of its own: two providers to route between.
  second = await startSimulatedServer();
  harness = await createHarness({
    extraProviders: [{ ...createSimulatedProvider({ baseURL: second.url, pollIntervalMs: 25 }), id: 'sim2' }],
    config: {
      routes: {
        ordered: { strategy: 'fallback', targets: ['simulated/image', 'local/card'] },
        'cheap-first': { strategy: 'cheapest', targets: ['simulated/image', 'local/card'] },
        quick: { strategy: 'fastest', targets: ['simulated/image', 'sim2/image'] },
        reliable: { strategy: 'adaptive', targets: ['simulated/image', 'sim2/image'] },
        split: { strategy: 'weighted', targets: [{ target: 'simulated/image', weight: 1 }, { target: 'sim2/image', weight: 3 }] },
        ab: { strategy: 'fan-out', targets: ['simulated/image', 'sim2/image', 'local/card'] },
      },
      routing: { breaker: { failures: 2, cooldown_seconds: 600 }, min_samples: 3 },
    },
  });
  api = await buildTestApi(harness.runtime);
  inject = api.inject;
});
afterAll(async () => {
  await api?.app.close();
  await harness?.close();
  await second?.close();
});

const post = (url: string, payload: unknown) => inject({ method: 'POST', url, payload: payload as InjectOptions['payload'] });
const image = (model: string, extra: Record<string, unknown> = {}) => ({ kind: 'image', prompt: `routing ${newId('job')}`, model, params: { width: 64, height: 64 }, ...extra });

async function created(model: string): Promise<JobView> {
  const response = await post('/v1/jobs', image(model));
  expect(response.statusCode, response.body).toBe(201);
  return response.json<JobView>();
}

async function served(id: string): Promise<JobView> {
  const job = await harness.waitFor(id);
  expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
  return (await inject({ method: 'GET', url: `/v1/jobs/${id}` })).json<JobView>();
}

async function seed(target: { provider: string; model: string }, outcomes: [boolean, number][]): Promise<void> {
  const { stats } = routing(harness.runtime);
  await stats.reset(target);
  for (const [ok, ms] of outcomes) await stats.record(target, ok, ms);
}

describe('routes', () => {
  it('fallback tries the targets in order, and the job says who served it', async () => {
    const job = await created('ordered');
    expect(job.targets).toEqual(['simulated/image', 'local/card']);
    const done = await served(job.id);
    expect([done.provider, done.model]).toEqual(['simulated', 'image']);
  });

  it('cheapest puts the lowest estimate for this request first', async () => {
    const job = await created('cheap-first');
    expect(job.targets).toEqual(['local/card', 'simulated/image']);
    expect(job.estimated_cost_usd).toBe(0);
    const done = await served(job.id);
    expect([done.provider, done.model]).toEqual(['local', 'card']);
  });

  it('fastest follows the observed median latency', async () => {
    await seed({ provider: 'simulated', model: 'image' }, [[true, 900], [true, 1000], [true, 1100]]);
    await seed({ provider: 'sim2', model: 'image' }, [[true, 90], [false, 5], [true, 110]]);
    const job = await created('quick');
    expect(job.targets).toEqual(['sim2/image', 'simulated/image']);
    expect((await served(job.id)).provider).toBe('sim2');

    await seed({ provider: 'simulated', model: 'image' }, [[true, 10], [true, 20], [true, 30]]);
    expect((await created('quick')).targets).toEqual(['simulated/image', 'sim2/image']);
  });

  it('adaptive follows the observed success rate', async () => {
    await seed({ provider: 'simulated', model: 'image' }, [[true, 10], [false, 10], [false, 10], [true, 10]]);
    await seed({ provider: 'sim2', model: 'image' }, [[true, 50], [true, 50], [true, 50], [false, 50]]);
    expect((await created('reliable')).targets).toEqual(['sim2/image', 'simulated/image']);
    await seed({ provider: 'sim2', model: 'image' }, [[false, 50], [false, 50], [false, 50]]);
    expect((await created('reliable')).targets).toEqual(['simulated/image', 'sim2/image']);
  });

  it('weighted picks by weight (seeded) and keeps the other target as fallback', async () => {
    routing(harness.runtime).random = seededRandom(1234);
    const firsts = { simulated: 0, sim2: 0 };
    for (let i = 0; i < 400; i++) {
      const plan = await planJob(harness.runtime, defaultTenantId, image('split'));
      expect(plan.targets).toHaveLength(2);
      firsts[plan.targets[0]?.provider as 'simulated' | 'sim2'] += 1;
    }
    routing(harness.runtime).random = Math.random;
    expect(firsts.simulated + firsts.sim2).toBe(400);
    expect(firsts.sim2 / 400).toBeGreaterThan(0.68);
    expect(firsts.sim2 / 400).toBeLessThan(0.82);
  });

  it('fan-out sends the request to every target and keeps every result, each labeled', async () => {
    const response = await post('/v1/jobs', image('ab'));
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json<{ object: string; batch_id: string; route: string; jobs: (JobView & { target: string })[] }>();
    expect(body.object).toBe('fan_out');
    expect(body.route).toBe('ab');
    expect(body.jobs.map((job) => job.target)).toEqual(['simulated/image', 'sim2/image', 'local/card']);
    const done = await Promise.all(body.jobs.map((job) => served(job.id)));
    expect(done.map((job) => `${job.provider}/${job.model}`)).toEqual(['simulated/image', 'sim2/image', 'local/card']);
    const outputs = done.map((job) => (job as JobView & { outputs: { id: string; mime: string }[] }).outputs);
    expect(outputs.every((list) => list.length === 1 && list[0]?.mime === 'image/png')).toBe(true);
    expect(new Set(outputs.map((list) => list[0]?.id)).size).toBe(3);

    const listed = (await inject({ method: 'GET', url: `/v1/jobs?batch_id=${body.batch_id}` })).json<{ data: JobView[] }>();
    expect(listed.data.map((job) => job.id).sort()).toEqual(body.jobs.map((job) => job.id).sort());

    expectApiError(await post('/v1/jobs', image('ab', { fallbacks: ['local/card'] })), 400, 'fallbacks');

    // With an Idempotency-Key the same request answers the same jobs and queues nothing new.
    const request = image('ab');
    const key = `fan-${newId('job')}`;
    const headers = { 'idempotency-key': key };
    const first = await inject({ method: 'POST', url: '/v1/jobs', payload: request, headers });
    expect(first.statusCode, first.body).toBe(201);
    const again = await inject({ method: 'POST', url: '/v1/jobs', payload: request, headers });
    expect(again.statusCode, again.body).toBe(200);
    const ids = (response: typeof first) => response.json<{ jobs: { id: string }[] }>().jobs.map((job) => job.id);
    expect(ids(again)).toEqual(ids(first));
  });

  it('quality tiers are routes that end on the local provider, so they run without keys', async () => {
    const high = await created('high');
    expect(high.targets).toEqual(['local/card']);
    expect((await served(high.id)).provider).toBe('local');
    const speech = await post('/v1/jobs', { kind: 'speech', prompt: 'A draft voice line.', model: 'draft' });
    expect(speech.statusCode, speech.body).toBe(201);
    expect(speech.json<JobView>().targets).toEqual(['local/tts']);
  });
});

describe('fan-out where one job is answered', () => {
  it('submitJob (the local CLI) refuses a fan-out route as bad input on model; nothing is written', async () => {
    const before = await sideEffects(harness);
    const refused = harness.submit({ kind: 'image', prompt: 'one answer', model: 'ab', params: { width: 64, height: 64 } });
    await expect(refused).rejects.toMatchObject({ name: 'InputError', field: 'model', status: 400 });
    await expect(refused).rejects.toThrow('"ab" is a fan-out route, which makes one job per target');
    expect(await sideEffects(harness)).toEqual(before);
  });
});

describe('unknown names', () => {
  it('an unknown route is a 400 naming it and listing routes and models; nothing is written', async () => {
    const before = await sideEffects(harness);
    const error = expectApiError(await post('/v1/jobs', image('hihg')), 400, 'model');
    expect(error.message).toContain('"hihg"');
    for (const name of ['ordered', 'ab', 'draft', 'standard', 'high', 'master', 'simulated/image', 'local/card']) expect(error.message).toContain(name);
    expect(error.allowed).toEqual(expect.arrayContaining(['draft', 'ordered', 'sim2/image']));
    expect(await sideEffects(harness)).toEqual(before);
  });

  it('an unknown provider or model in model or fallbacks names the field and what exists', async () => {
    const provider = expectApiError(await post('/v1/jobs', image('opnai/gpt-image-1')), 400, 'model');
    expect(provider.message).toContain('unknown provider "opnai"');
    expect(provider.allowed).toEqual(expect.arrayContaining(['local', 'simulated', 'sim2']));
    const fallback = expectApiError(await post('/v1/jobs', image('ordered', { fallbacks: ['local/nope'] })), 400, 'fallbacks[0]');
    expect(fallback.message).toContain('local/card');
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive provider failures, then routes skip the provider and queued jobs move past it', async () => {
    const { breakers } = routing(harness.runtime);
    // Explicit target, failing on the provider's side every time: each attempt is a failure.
    const failing = await post('/v1/jobs', image('simulated/image', { params: { width: 64, height: 64, simulate: { fault: '500' } } }));
    expect(failing.statusCode, failing.body).toBe(201);
    expect((await harness.waitFor(failing.json<JobView>().id)).status).toBe('failed');
    expect(await breakers.state('simulated', { fresh: true })).toBe('open');

    // New jobs on a route skip the open provider.
    expect((await created('ordered')).targets).toEqual(['local/card']);

    // A job queued for it before the circuit opened moves on without an attempt there.
    const id = newId('job');
    await harness.runtime.repo.createJob({
      id,
      tenantId: defaultTenantId,
      kind: 'image',
      request: { kind: 'image', prompt: 'queued before', params: { width: 64, height: 64 } },
      targets: [{ provider: 'simulated', model: 'image' }, { provider: 'local', model: 'card' }],
    });
    const submitsBefore = harness.simulated.stats().submits;
    await new JobRunner(harness.runtime).run({ jobId: id, targetIndex: 0, provider: 'simulated', model: 'image' });
    const done = await harness.waitFor(id);
    expect([done.status, done.provider]).toEqual(['succeeded', 'local']);
    expect(harness.simulated.stats().submits).toBe(submitsBefore);
    const fallback = (await harness.events(id)).find((event) => event.type === 'fallback');
    expect(JSON.stringify(fallback?.data)).toContain('circuit is open');

    await breakers.success('simulated');
    expect((await created('ordered')).targets).toEqual(['simulated/image', 'local/card']);
  });
});
