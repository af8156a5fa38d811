// Prometheus metrics of one API instance, each on its own Registry (several apps may share a
// process in tests): job counts read from the database and queue depths read from BullMQ at scrape
// time, followed by the runtime's worker-side instruments (attempts, 429s, spend) when workers run here.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { engineMetrics, type Runtime } from '@mediagate/engine';

/** The BullMQ states that mean "not finished yet": how far behind a provider's workers are. */
export const queueStates = ['waiting', 'prioritized', 'delayed', 'active'] as const;

export interface ApiMetrics {
  registry: Registry;
  /** The exposition text and its Content-Type. */
  render(): Promise<{ contentType: string; text: string }>;
}

export function createMetrics(runtime: Runtime, onError: (source: string, error: unknown) => void): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const collectErrors = new Counter({
    name: 'mediagate_metrics_collect_errors_total',
    help: 'Scrapes in which a source could not be read; its gauges are left empty for that scrape.',
    labelNames: ['source'],
    registers: [registry],
  });

  // A failing source must not cost the whole scrape (process metrics would go with it).
  async function guarded(source: string, gauge: Gauge, read: () => Promise<void>): Promise<void> {
    gauge.reset();
    try {
      await read();
    } catch (error) {
      gauge.reset();
      collectErrors.inc({ source });
      onError(source, error);
    }
  }

  const jobs: Gauge = new Gauge({
    name: 'mediagate_jobs',
    help: 'Jobs in the database by status, kind and provider (the one that served it, else its current target).',
    labelNames: ['status', 'kind', 'provider'],
    registers: [registry],
    collect: () =>
      guarded('database', jobs, async () => {
        for (const group of await runtime.repo.countJobsByGroup()) {
          jobs.set({ status: group.status, kind: group.kind, provider: group.provider }, group.count);
        }
      }),
  });

  const queueDepth: Gauge = new Gauge({
    name: 'mediagate_queue_jobs',
    help: 'Entries in each provider\'s queues (one per key pool, summed) by BullMQ state (waiting, prioritized, delayed, active).',
    labelNames: ['provider', 'state'],
    registers: [registry],
    collect: () =>
      guarded('redis', queueDepth, async () => {
        const providers = runtime.providers.list().map((adapter) => adapter.id);
        const counts = await Promise.all(
          providers.map(async (provider) => {
            const pools = [...new Set(['default', ...runtime.keys.pools(provider)])];
            const perPool = await Promise.all(pools.map((pool) => runtime.queues.queue(provider, pool).getJobCounts(...queueStates)));
            return Object.fromEntries(queueStates.map((state) => [state, perPool.reduce((sum, count) => sum + (count[state] ?? 0), 0)]));
          }),
        );
        providers.forEach((provider, index) => {
          for (const state of queueStates) queueDepth.set({ provider, state }, counts[index]?.[state] ?? 0);
        });
      }),
  });

  return {
    registry,
    async render() {
      // Two registries, no shared names: the exposition is their texts one after the other.
      const [own, engine] = await Promise.all([registry.metrics(), engineMetrics(runtime).registry.metrics()]);
      return { contentType: registry.contentType, text: `${own}${engine}` };
    },
  };
}
