// What `GET /v1/providers` and `mediagate providers` show: each provider's models with their
// capabilities and pricing, its health and its keys (ids, pools, limits, status, use and rolling
// health, fleet-wide from Redis; never secrets).
import type { Runtime } from '@mediagate/engine';

export async function describeProviders(runtime: Runtime) {
  return Promise.all(
    runtime.providers.list().map(async (adapter) => {
      const [keys, rolling] = await Promise.all([runtime.keys.describe(adapter.id), runtime.keys.providerHealth(adapter.id)]);
      const health = adapter.health ? await adapter.health().catch((error: unknown) => ({ status: 'unavailable' as const, message: String(error) })) : { status: 'ok' as const };
      return {
        id: adapter.id,
        name: adapter.displayName,
        requires_key: adapter.requiresKey,
        status: health.status,
        ...(health.message ? { message: health.message } : {}),
        /** Success rate and p50/p95 latency over recent attempts on any of its keys. */
        health: rolling,
        pools: runtime.keys.pools(adapter.id),
        keys,
        models: adapter.models.map((spec) => ({
          id: `${adapter.id}/${spec.id}`,
          description: spec.description,
          capabilities: spec.capabilities,
          pricing: spec.pricing,
        })),
      };
    }),
  );
}
