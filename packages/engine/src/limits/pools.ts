// Checks the key pool a request names (`pool`) against the providers it would run on, at submit:
// an unknown pool is a 400 naming it and the provider's pools, never a job that waits forever.
import { InputError, type Target } from '@mediagate/core';
import type { KeyPool } from '../keys.ts';

export function checkPool(keys: KeyPool, pool: string | undefined, targets: readonly Target[]): void {
  if (pool === undefined) return;
  const providers = [...new Set(targets.map((target) => target.provider))];
  // Providers without keys (local, say) take any job; the pool must exist where keys do.
  const keyed = providers.filter((provider) => keys.pools(provider).length > 0);
  for (const provider of keyed.length > 0 ? keyed : providers.slice(0, 1)) {
    const pools = keys.pools(provider);
    if (pools.includes(pool)) continue;
    const known = pools.length > 0 ? `its pools: ${pools.join(', ')}` : 'it has no key pools';
    throw new InputError(`pool: unknown pool "${pool}" for ${provider}; ${known}`, { field: 'pool', allowed: pools });
  }
}
