// The key check every paid cloud adapter makes before calling out: with no key configured the
// job fails with a clear auth error naming the setting, instead of a 401 from the provider.
import { ProviderError } from '@mediagate/core';
import type { CallContext, ProviderKey } from '../contract.ts';

/** The env var that holds a provider's keys, as packages/engine/src/keys.ts reads it. */
export function keysEnvName(providerId: string): string {
  return `MEDIAGATE_KEYS_${providerId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export function requireKey(ctx: Pick<CallContext, 'key'>, providerId: string): ProviderKey {
  if (ctx.key === undefined || ctx.key.secret === '') {
    throw new ProviderError('auth', `${providerId}: no API key configured; set ${keysEnvName(providerId)}="id=secret"`);
  }
  return ctx.key;
}
