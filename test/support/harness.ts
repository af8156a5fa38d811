// An isolated Mediagate for one test file: its own home directory, queue prefix, simulated
// provider server and (optionally) PostgreSQL database, against the real local Redis.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { isTerminal, type GenerationRequestInput } from '@mediagate/core';
import type { JobEvent, JobRecord } from '@mediagate/db';
import {
  configSchema,
  createRuntime,
  defaultTenantId,
  loadSettings,
  obliterateWebhookQueue,
  submitJob,
  type Runtime,
  type Settings,
} from '@mediagate/engine';
import {
  ProviderRegistry,
  createLocalProvider,
  createSimulatedProvider,
  startSimulatedServer,
  type ProviderAdapter,
  type ProviderKey,
  type SimulatedServer,
  type SimulatedServerOptions,
} from '@mediagate/providers';
import { startWorkers, type WorkerFleet } from '@mediagate/worker';
import { createTestDatabase, type TestDatabase } from './postgres.ts';

export interface HarnessOptions {
  /** PostgreSQL by default: a fresh database is ~100 ms, a fresh PGlite several seconds. */
  database?: 'pglite' | 'postgres';
  simulated?: SimulatedServerOptions;
  settings?: Partial<Settings>;
  keys?: Record<string, ProviderKey[]>;
  /** Start workers in this process (default true). */
  workers?: boolean;
  attemptTimeoutMs?: number;
  /** Further providers beside local and simulated. */
  extraProviders?: ProviderAdapter[];
  /** mediagate.config.yaml as an object (validated by its schema): routes, budgets, presets… */
  config?: unknown;
}

export interface Harness {
  runtime: Runtime;
  simulated: SimulatedServer;
  fleet: WorkerFleet | undefined;
  settings: Settings;
  databaseUrl: string | undefined;
  submit(input: GenerationRequestInput): Promise<JobRecord>;
  waitFor(jobId: string, timeoutMs?: number): Promise<JobRecord>;
  events(jobId: string): Promise<JobEvent[]>;
  close(): Promise<void>;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'mediagate-test-'));
  const simulated = await startSimulatedServer(options.simulated);
  let database: TestDatabase | undefined;
  if (options.database !== 'pglite') database = await createTestDatabase();
  const settings: Settings = {
    ...loadSettings({}),
    home,
    databaseUrl: database?.url,
    simulatedUrl: simulated.url,
    queuePrefix: `mgtest-${randomBytes(4).toString('hex')}`,
    retryBaseMs: 20,
    ...options.settings,
  };
  const providers = new ProviderRegistry([
    createLocalProvider(),
    createSimulatedProvider({ baseURL: simulated.url, pollIntervalMs: 25, ...(options.attemptTimeoutMs ? { attemptTimeoutMs: options.attemptTimeoutMs } : {}) }),
    ...(options.extraProviders ?? []),
  ]);
  const runtime = await createRuntime({
    command: 'test',
    settings,
    providers,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.keys ? { keys: new Map(Object.entries(options.keys)) } : {}),
    config: configSchema.parse(options.config ?? {}),
  });
  const fleet = options.workers === false ? undefined : await startWorkers(runtime);
  return {
    runtime,
    simulated,
    fleet,
    settings,
    databaseUrl: database?.url,
    submit: (input) => submitJob(runtime, defaultTenantId, input),
    async waitFor(jobId, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await runtime.repo.getJob(jobId);
        if (job && isTerminal(job.status)) return job;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job?.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    events: (jobId) => runtime.repo.listEvents(jobId, 0),
    async close() {
      await fleet?.close();
      await runtime.queues.obliterate(providers.list().map((adapter) => adapter.id)).catch(() => undefined);
      await obliterateWebhookQueue(runtime).catch(() => undefined);
      await runtime.close();
      await simulated.close();
      await database?.drop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
