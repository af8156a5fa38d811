// What `GET /v1/providers` and `mediagate providers` show: each provider's models with their
// capabilities and pricing, its health and its keys (ids and status only, never secrets).
import type { Runtime } from '@mediagate/engine';

export async function describeProviders(runtime: Runtime) {
  return Promise.all(
    runtime.providers.list().map(async (adapter) => {
      const health = adapter.health ? await adapter.health().catch((error: unknown) => ({ status: 'unavailable' as const, message: String(error) })) : { status: 'ok' as const };
      return {
        id: adapter.id,
        name: adapter.displayName,
        requires_key: adapter.requiresKey,
        status: health.status,
        ...(health.message ? { message: health.message } : {}),
        keys: runtime.keys.describe(adapter.id),
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
