// The worker fleet's process side: one BullMQ Worker per provider queue, all feeding the
// attempt runner. Run as `mediagate worker`, or inside `mediagate start` / `generate`.
import { Worker, type Job } from 'bullmq';
import { InputError } from '@mediagate/core';
import { createRedis, engineMetrics, JobRunner, queueJobId, queueName, RunHere, type QueuePayload, settleEnded, startWebhookDelivery, sweepScratch, type Runtime } from '@mediagate/engine';
import type { ProviderAdapter } from '@mediagate/providers';
import { serveWorkerMetrics, type MetricsServer } from './metrics-server.ts';
import { WorkerSlots } from './slots.ts';

export { metricsPortFromEnv, serveWorkerMetrics, type MetricsServer } from './metrics-server.ts';
export { WorkerSlots } from './slots.ts';

export interface WorkerFleet {
  runner: JobRunner;
  /** Provider ids this process consumes. */
  providers: string[];
  /** Where this process serves its own /metrics, when `metricsPort` was given. */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

export interface WorkerOptions {
  /** Only these providers' queues (default: every registered provider). */
  providers?: string[];
  /** Per-provider concurrency overrides. */
  concurrency?: Record<string, number>;
  /** Serve this process's Prometheus metrics on this port (0: any free one); `mediagate worker` passes MEDIAGATE_METRICS_PORT. */
  metricsPort?: number;
}

const concurrencyPrefix = 'MEDIAGATE_CONCURRENCY_';
/** How often a worker process looks for key pools added since it started. */
const poolWatchMs = 2000;

function concurrencyVariable(provider: string): string {
  return `${concurrencyPrefix}${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * `MEDIAGATE_CONCURRENCY_<PROVIDER>` overrides, read once at start: a value that is not a whole
 * number ≥ 1, or a provider this installation does not have, stops the start naming the variable.
 */
export function concurrencyOverrides(env: NodeJS.ProcessEnv, providers: readonly string[]): Map<string, number> {
  const byVariable = new Map(providers.map((provider) => [concurrencyVariable(provider), provider]));
  const overrides = new Map<string, number>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(concurrencyPrefix) || raw === undefined) continue;
    const provider = byVariable.get(name);
    if (provider === undefined) {
      throw new InputError(`${name}: no provider is called ${name.slice(concurrencyPrefix.length)}; allowed: ${[...byVariable.keys()].join(', ')}`, {
        field: name,
        allowed: [...byVariable.keys()],
      });
    }
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
      throw new InputError(`${name}: "${raw}" is not a whole number of jobs at once (1 or more)`, { field: name });
    }
    overrides.set(provider, value);
  }
  return overrides;
}

export async function startWorkers(runtime: Runtime, options: WorkerOptions = {}): Promise<WorkerFleet> {
  const fromEnv = concurrencyOverrides(process.env, runtime.providers.list().map((adapter) => adapter.id));
  const concurrencyFor = (provider: string, fallback: number) => options.concurrency?.[provider] ?? fromEnv.get(provider) ?? fallback;
  const runner = new JobRunner(runtime);
  void sweepScratch(runtime).then(
    (removed) => removed > 0 && runtime.logger.info({ removed }, 'removed scratch files left by earlier runs'),
    (error: unknown) => runtime.logger.warn({ err: String(error) }, 'scratch sweep failed'),
  );
  // Jobs that ended while their process died before settling still hold budget: release it.
  void settleEnded(runtime).then(
    (settled) => settled > 0 && runtime.logger.info({ settled }, 'settled budget reservations of jobs that had ended'),
    (error: unknown) => runtime.logger.warn({ err: String(error) }, 'budget settle sweep failed'),
  );
  const stopCancelFeed = await runtime.bus.onCancel((jobId) => runner.cancelRunning(jobId));
  const adapters = runtime.providers.list().filter((adapter) => options.providers?.includes(adapter.id) ?? true);
  const connections: ReturnType<typeof createRedis>[] = [];
  // One queue per provider and key pool: `default` (jobs that name no pool) and every pool with keys.
  await runtime.keys.refresh(true);
  const poolsOf = (adapter: ProviderAdapter) => [...new Set(['default', ...runtime.keys.pools(adapter.id)])];
  // New jobs may run in this process at once (run-here.ts), in the workers' slots.
  const slots = new WorkerSlots();
  const here = new RunHere(runtime, runner, slots);
  /** Workers by queue name: one per provider and pool, more as key pools appear. */
  const working = new Map<string, Worker<QueuePayload>>();
  const work = (adapter: ProviderAdapter, pool: string): Worker<QueuePayload> => {
    const provider = adapter.id;
    const name = queueName(runtime.settings.queuePrefix, provider, pool);
    const concurrency = concurrencyFor(provider, adapter.defaultConcurrency);
    slots.add(provider, pool, concurrency);
    const connection = createRedis(runtime.settings.redisUrl);
    connections.push(connection);
    const processor = (entry: Job<QueuePayload>, token?: string) =>
      // Another process swept the entry behind a run going on here (this one stalled past its
      // lease): look again later rather than run the job twice.
      here.holds(queueJobId(entry.data.jobId, entry.data.targetIndex))
        ? runner.postpone(entry, 1000, token)
        : slots.track(provider, pool, () => runner.process(entry, token));
    const worker = new Worker(name, processor, {
      connection,
      concurrency,
      lockDuration: runtime.settings.lockMs,
      stalledInterval: runtime.settings.lockMs,
      // The database decides what a re-delivered entry means, so stalls are never fatal.
      maxStalledCount: 1000,
    });
    worker.on('failed', (entry, error) => {
      runtime.logger.error({ jobId: entry?.data.jobId, provider: adapter.id, err: error.message }, 'worker error');
      // The entry's own retries are spent: record the failure rather than strand the job.
      if (entry !== undefined && entry.attemptsMade >= (entry.opts.attempts ?? 1)) {
        void runtime.repo
          .failJob(entry.data.jobId, { class: 'internal', message: `the worker could not run this job: ${error.message}` })
          .then((failed) => {
            if (failed !== undefined) engineMetrics(runtime).jobFailed(failed.job.kind, adapter.id);
            return runtime.bus.publish(failed?.event);
          })
          .catch((failure: unknown) => runtime.logger.error({ jobId: entry.data.jobId, err: String(failure) }, 'could not record the failure'));
      }
    });
    worker.on('error', (error) => runtime.logger.error({ provider: adapter.id, err: error.message }, 'queue error'));
    worker.on('drained', () => slots.drained(provider, pool));
    slots.attach(provider, pool, worker);
    working.set(name, worker);
    return worker;
  };
  await Promise.all(adapters.flatMap((adapter) => poolsOf(adapter).map((pool) => work(adapter, pool).waitUntilReady())));
  // A key pool added at run time (/v1/admin/providers/…/keys, by any process) gets its worker
  // here once this process reads the stored keys again, without a restart.
  let watching: Promise<void> | undefined;
  const watchPools = setInterval(() => {
    watching ??= runtime.keys
      .refresh()
      .then(async () => {
        const added = adapters.flatMap((adapter) =>
          poolsOf(adapter)
            .filter((pool) => !working.has(queueName(runtime.settings.queuePrefix, adapter.id, pool)))
            .map((pool) => ({ adapter, pool })),
        );
        for (const { adapter, pool } of added) {
          await work(adapter, pool).waitUntilReady();
          runtime.logger.info({ provider: adapter.id, pool }, 'working the queue of a new key pool');
        }
      })
      .catch((error: unknown) => runtime.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'key pools not re-read'))
      .finally(() => {
        watching = undefined;
      });
  }, poolWatchMs);
  watchPools.unref();
  runtime.here = here;
  here.start();
  // Every worker process also delivers webhooks (and relays them from the database outbox).
  const webhooks = await startWebhookDelivery(runtime);
  const stopConsuming = async () => {
    clearInterval(watchPools);
    await watching;
    if (runtime.here === here) runtime.here = undefined;
    await Promise.all([here.drain(), ...[...working.values()].map((worker) => worker.close())]);
    await webhooks.close();
    await Promise.all(connections.map((connection) => connection.quit().catch(() => connection.disconnect())));
    await stopCancelFeed();
  };
  let metrics: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    // A port already taken stops the start: a worker nobody can scrape is a silent one.
    metrics = await serveWorkerMetrics(runtime, options.metricsPort).catch(async (error: unknown) => {
      await stopConsuming();
      throw error;
    });
  }
  runtime.logger.debug({ providers: adapters.map((a) => a.id) }, 'workers ready');
  return {
    runner,
    providers: adapters.map((adapter) => adapter.id),
    metricsUrl: metrics?.url,
    async close() {
      await metrics?.close();
      await stopConsuming();
    },
  };
}
