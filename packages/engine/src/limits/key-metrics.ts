// Prometheus gauges of provider keys, read from Redis when /metrics is scraped, so every process
// reports the fleet-wide truth: each key's status, requests in flight and in the last minute, and
// rolling health (success rate, p50/p95 latency) per key and per provider.
import { Gauge, type Registry } from 'prom-client';
import type { KeyPool } from '../keys.ts';

const statuses = ['active', 'inactive', 'rate_limited', 'error'] as const;

/**
 * `onError` hears a scrape whose Redis read failed: the key gauges are left empty for it, and the
 * rest of the page (process metrics, job counts) is still served.
 */
export function registerKeyMetrics(registry: Registry, keys: KeyPool, providerIds: () => string[], onError: (error: unknown) => void = () => {}): void {
  const keyLabels = ['provider', 'pool', 'key_id'];
  const status = new Gauge({ name: 'mediagate_provider_key_status', help: '1 for the status each provider key is in (active, inactive, rate_limited, error), else 0.', labelNames: [...keyLabels, 'status'], registers: [registry], collect: () => once() });
  const inFlight = new Gauge({ name: 'mediagate_provider_key_in_flight', help: 'Requests in flight on each provider key, fleet-wide.', labelNames: keyLabels, registers: [registry], collect: () => once() });
  const lastMinute = new Gauge({ name: 'mediagate_provider_key_requests_last_minute', help: 'Requests sent with each provider key in its current rpm window, fleet-wide.', labelNames: keyLabels, registers: [registry], collect: () => once() });
  const successRate = new Gauge({ name: 'mediagate_provider_success_rate', help: 'Share of recent attempts that succeeded (up to 200 per key), by provider and key id ("all" for the provider).', labelNames: ['provider', 'key_id'], registers: [registry], collect: () => once() });
  const latency = new Gauge({ name: 'mediagate_provider_latency_ms', help: 'Latency of recent succeeded attempts, ms, by provider, key id ("all" for the provider) and quantile (0.5, 0.95).', labelNames: ['provider', 'key_id', 'quantile'], registers: [registry], collect: () => once() });
  let collecting: Promise<void> | undefined;
  // One Redis read per scrape, shared by the gauges: a registry asks all of them at once, so
  // each one's collect awaits the same read, and the next scrape starts a new one.
  const once = async (): Promise<void> => {
    collecting ??= collect()
      .catch((error: unknown) => {
        for (const gauge of [status, inFlight, lastMinute, successRate, latency]) gauge.reset();
        onError(error);
      })
      .finally(() => {
        collecting = undefined;
      });
    await collecting;
  };
  const collect = async () => {
    for (const gauge of [status, inFlight, lastMinute, successRate, latency]) gauge.reset();
    for (const provider of providerIds()) {
      const [views, health] = await Promise.all([keys.describe(provider), keys.providerHealth(provider)]);
      const rows: [string, typeof health][] = [['all', health]];
      for (const view of views) {
        const labels = { provider, pool: view.pool, key_id: view.id };
        for (const candidate of statuses) status.set({ ...labels, status: candidate }, view.status === candidate ? 1 : 0);
        inFlight.set(labels, view.in_flight);
        lastMinute.set(labels, view.requests_last_minute);
        rows.push([view.id, view.health]);
      }
      for (const [keyId, figures] of rows) {
        if (figures.success_rate !== null) successRate.set({ provider, key_id: keyId }, figures.success_rate);
        if (figures.p50_ms !== null) latency.set({ provider, key_id: keyId, quantile: '0.5' }, figures.p50_ms);
        if (figures.p95_ms !== null) latency.set({ provider, key_id: keyId, quantile: '0.95' }, figures.p95_ms);
      }
    }
  };
}
