// A provider key added through the admin API of one process is used by the workers of another:
// two runtimes on one database and one Redis, as an API process and a worker process of a fleet.
// The worker process serves no API; it hears of the key only from the database.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { configSchema, createRuntime, type Runtime } from '@mediagate/engine';
import { ProviderRegistry, createLocalProvider, createSimulatedProvider } from '@mediagate/providers';
import { startWorkers, type WorkerFleet } from '@mediagate/worker';
import { createHarness, type Harness } from '../../../../test/support/harness.ts';
import { buildApi } from '../index.ts';

const adminKey = 'test-admin-key-provider-keys-fleet';
const bearer = { authorization: `Bearer ${adminKey}` };
const url = '/v1/admin/providers/simulated/keys';
const config = {
  providers: { simulated: { pools: { default: { keys: [{ id: 'cfg', secret: 'config-secret' }] } } } },
};

let harness: Harness;
let app: FastifyInstance;
let worker: Runtime;
let fleet: WorkerFleet;

beforeAll(async () => {
  // The API process: no workers of its own.
  harness = await createHarness({ workers: false, simulated: { keys: { 'config-secret': {}, 'added-secret-value': {} } }, config });
  app = await buildApi(harness.runtime, { logger: false, adminKey });
  // The worker process: the same settings (database, Redis prefix, home), its own runtime.
  worker = await createRuntime({
    command: 'test',
    settings: harness.settings,
    providers: new ProviderRegistry([createLocalProvider(), createSimulatedProvider({ baseURL: harness.simulated.url, pollIntervalMs: 25 })]),
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    config: configSchema.parse(config),
  });
  fleet = await startWorkers(worker);
});
afterAll(async () => {
  await fleet?.close();
  await worker?.close();
  await app?.close();
  await harness?.close();
});

describe('a provider key added at run time, across processes', () => {
  it("is used by another process's workers once the config key is disabled", async () => {
    const added = await app.inject({ method: 'POST', url, headers: bearer, payload: { id: 'added', secret: 'added-secret-value' } });
    expect(added.statusCode, added.body).toBe(201);
    const disabled = await app.inject({ method: 'POST', url: `${url}/cfg/disable`, headers: bearer });
    expect(disabled.statusCode, disabled.body).toBe(200);

    const jobs = await Promise.all([1, 2, 3].map((index) => harness.submit({ kind: 'image', prompt: `fleet key ${index} ${Date.now()}`, model: 'simulated/image' })));
    for (const job of jobs) {
      const done = await harness.waitFor(job.id, 30_000);
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      const attempts = await harness.runtime.repo.listAttempts(job.id);
      expect(attempts.filter((attempt) => attempt.status === 'succeeded').map((attempt) => attempt.keyId)).toEqual(['added']);
    }
    const stats = harness.simulated.stats();
    expect(stats.byKey['added-secret-value']?.accepted).toBe(3);
    expect(stats.byKey['config-secret']?.accepted ?? 0).toBe(0);
  });
});
