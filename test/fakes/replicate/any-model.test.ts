// Any Replicate model through the engine: a job on "replicate/<owner>/<name>" runs as its kind with
// provider_input, is verified as that media, and has an unknown price that is reported as such
// (null), never counted as $0: under a budget it is refused. provider_input itself is checked as
// storable JSON of bounded size, and refused by models that do not take it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@mediagate/core';
import { checkConfig, configSchema, defaultTenantId, submitJob } from '@mediagate/engine';
import { ProviderRegistry } from '@mediagate/providers';
import { createReplicateProvider } from '../../../packages/providers/src/replicate/replicate-provider.ts';
import { buildTestApi, expectApiError, type TestApi } from '../../../apps/api/src/test-support.ts';
import { createHarness, type Harness } from '../../support/harness.ts';
import type { FakeProvider } from '../subject.ts';
import { replicateGoodToken, startReplicateFake } from './server.ts';

let fake: FakeProvider;
let harness: Harness;
let api: TestApi;

beforeAll(async () => {
  fake = await startReplicateFake({ predictionMs: 200 });
  harness = await createHarness({
    extraProviders: [createReplicateProvider({ baseURL: `${fake.url}/v1`, pollIntervalMs: 25, requestTimeoutMs: 5000 })],
    keys: { replicate: [{ id: 'replicate-main', secret: replicateGoodToken }] },
    settings: { fetchAllow: [new URL(fake.url).host] },
    config: { budgets: { budgeted: { daily_usd: 5 } } },
  });
  api = await buildTestApi(harness.runtime);
});
afterAll(async () => {
  await api?.app.close();
  await harness?.close();
  await fake?.close();
});

const minimax = { kind: 'video', model: 'replicate/minimax/video-01', prompt: 'a paper boat on a pond', params: { provider_input: { prompt_optimizer: false } } } as const;

describe('replicate: any model by name', () => {
  it('runs as the job kind with an unknown price: estimate and actual cost are null, the output is verified video', async () => {
    const job = await harness.submit(minimax);
    expect(job.estimatedCostUsd).toBeNull();
    const done = await harness.waitFor(job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done).toMatchObject({ provider: 'replicate', model: 'minimax/video-01', actualCostUsd: null });
    expect(await harness.runtime.repo.getAsset(done.outputAssetIds[0] ?? '')).toMatchObject({ mime: 'video/mp4', width: 1280, height: 720 });
    const created = fake.requests.filter((request) => request.method === 'POST' && request.path === '/v1/models/minimax/video-01/predictions');
    expect(created.map((request) => JSON.parse(request.body.toString()) as unknown)).toEqual([{ input: { prompt: 'a paper boat on a pond', prompt_optimizer: false } }]);
  });

  it('fails, never stores, an output that is not the media the job asked for', async () => {
    const job = await harness.submit({ ...minimax, kind: 'image' });
    const done = await harness.waitFor(job.id);
    expect(done.status).toBe('failed');
    expect(done.outputAssetIds).toEqual([]);
    expect(done.error).toMatchObject({ class: 'output_invalid', message: 'output 1: expected image, got video/mp4' });
  });

  it('reports the unknown price in /v1/estimate and refuses the job under a budget with 402 price_unknown', async () => {
    const response = await api.inject({ method: 'POST', url: '/v1/estimate', payload: minimax });
    expect(response.statusCode, response.body).toBe(200);
    const estimate = response.json<{ estimate: { usd: unknown; basis: string }; route: { reserve_usd: unknown; targets: { usd: unknown }[] }; within_budget: boolean }>();
    expect(estimate.estimate).toMatchObject({ usd: null, basis: expect.stringMatching(/^unknown: /) as unknown as string });
    expect(estimate.route).toMatchObject({ reserve_usd: null, targets: [{ usd: null }] });
    expect(estimate.within_budget).toBe(true);

    const posted = fake.requests.length;
    const refused = await submitJob(harness.runtime, 'budgeted', minimax).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InputError);
    expect(refused).toMatchObject({ status: 402, code: 'price_unknown', field: 'model' });
    expect((refused as Error).message).toBe(
      "price unknown: replicate/minimax/video-01 has no price in Mediagate's pricing data, so the daily budget of $5.00 for tenant budgeted cannot hold it; use a priced model (GET /v1/providers lists prices) or a tenant without a budget",
    );
    // A priced Replicate model still runs under the same budget.
    const priced = await submitJob(harness.runtime, 'budgeted', { kind: 'image', model: 'replicate/black-forest-labs/flux-schnell', prompt: 'a teapot' });
    expect(priced.estimatedCostUsd).toBe(0.003);
    await harness.waitFor(priced.id);
    expect(fake.requests.filter((request) => request.method === 'POST').length).toBe(fake.requests.slice(0, posted).filter((request) => request.method === 'POST').length + 1);
  });

  it('refuses, as 4xx naming the field, params it cannot place and provider_input that is not small storable JSON', async () => {
    const submit = (input: Record<string, unknown>) => harness.submit(input as never).catch((error: unknown) => error);
    expect(await submit({ ...minimax, params: { seed: 3 } })).toMatchObject({ status: 400, field: 'params.seed' });
    expect(await submit({ ...minimax, params: { provider_input: { prompt: 'again' } } })).toMatchObject({ status: 400, field: 'params.provider_input.prompt' });
    expect(await submit({ kind: 'image', model: 'simulated/image', prompt: 'x', params: { provider_input: { steps: 4 } } })).toMatchObject({
      status: 400,
      field: 'params.provider_input',
      message: expect.stringMatching(/^params\.provider_input: not supported by simulated\/image/) as unknown as string,
    });
    const tooBig = await submit({ ...minimax, params: { provider_input: { blob: 'x'.repeat(9000) } } });
    expect(tooBig).toMatchObject({ status: 400, field: 'params.provider_input' });
    expect((tooBig as Error).message).toContain('at most 8192 bytes as JSON');
    const nul = await submit({ ...minimax, params: { provider_input: { nested: ['ok', { bad: 'a\u0000b' }] } } });
    expect((nul as Error).message).toContain('must not contain NUL characters or unpaired surrogates');
    const notObject = await api.inject({ method: 'POST', url: '/v1/jobs', payload: { ...minimax, params: { provider_input: [1, 2] } } });
    expectApiError(notObject, 400, 'params.provider_input');
    const malformed = await api.inject({ method: 'POST', url: '/v1/jobs', payload: { ...minimax, model: 'replicate/Minimax/Video 01' } });
    expect(expectApiError(malformed, 400, 'model').message).toContain('is not a Replicate model');
    expect(await harness.runtime.repo.listJobs({ tenantId: defaultTenantId, limit: 100 })).toHaveLength(2);
  });

  it('lets a config route name any well-formed Replicate model, and names the target of a malformed one', () => {
    const registry = new ProviderRegistry([createReplicateProvider()]);
    const route = (target: string) => configSchema.parse({ routes: { clips: { targets: ['replicate/wan-video/wan-2.7-t2v', target] } } });
    expect(() => checkConfig(route('replicate/minimax/video-01'), registry)).not.toThrow();
    expect(() => checkConfig(route(`replicate/stability-ai/sdxl:${'a'.repeat(64)}`), registry)).not.toThrow();
    expect(() => checkConfig(route('replicate/minimax'), registry)).toThrow(/^routes\.clips\.targets\[1\]: "minimax" is not a Replicate model/);
  });
});
