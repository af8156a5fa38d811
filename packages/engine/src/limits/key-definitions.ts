// Where provider keys come from, gathered into one list: the config file's pools, the
// MEDIAGATE_KEYS_<PROVIDER> variables (pool `default`) and keys added at run time (the database).
import type { ProviderKey } from '@mediagate/providers';
import { ConfigError } from '../config/load.ts';
import type { KeyLimits, MediagateConfig } from '../config/schema.ts';

export const defaultPool = 'default';

export interface KeyDefinition extends ProviderKey {
  provider: string;
  pool: string;
  limits: KeyLimits;
  /** Where it was defined: the admin API's keys can be disabled for good and removed there. */
  source: 'config' | 'env' | 'admin';
}

const keyId = /^[A-Za-z][A-Za-z0-9_.-]{0,39}$/;

export function envKeysVariable(provider: string): string {
  return `MEDIAGATE_KEYS_${provider.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * Reads `MEDIAGATE_KEYS_<PROVIDER>="id=secret,id2=secret2"` for each provider id. An entry
 * without `=` (or whose part before it is not an id) is a bare secret, named key1, key2…:
 * secrets may contain `:` (fal's do) or `=` (base64 padding), so give those an id.
 */
export function keysFromEnv(providerIds: readonly string[], env: NodeJS.ProcessEnv = process.env): Map<string, ProviderKey[]> {
  const result = new Map<string, ProviderKey[]>();
  for (const provider of providerIds) {
    const raw = env[envKeysVariable(provider)];
    if (!raw) continue;
    const keys = raw
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry, index) => {
        const equals = entry.indexOf('=');
        const id = equals > 0 ? entry.slice(0, equals) : '';
        const secret = entry.slice(equals + 1);
        // Nothing but '=' after the first one is base64 padding of a bare secret, not id=secret.
        return keyId.test(id) && /[^=]/.test(secret) ? { id, secret } : { id: `key${index + 1}`, secret: entry };
      });
    result.set(provider, keys);
  }
  return result;
}

/**
 * The config's keys followed by the environment's (in pool `default`, without limits). A key id
 * is unique per provider across its pools: attempts record it, and polling finds the key by it.
 */
export function staticKeys(config: MediagateConfig, envKeys: Map<string, ProviderKey[]>): KeyDefinition[] {
  const result: KeyDefinition[] = [];
  const seen = new Map<string, string>();
  const add = (definition: KeyDefinition, at: string) => {
    const id = `${definition.provider}/${definition.id}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) throw new ConfigError(`${at}: key id "${definition.id}" is already used by ${earlier}`, at);
    seen.set(id, at);
    result.push(definition);
  };
  for (const [provider, spec] of Object.entries(config.providers)) {
    for (const [pool, { keys }] of Object.entries(spec.pools)) {
      keys.forEach((key, index) =>
        add({ provider, pool, id: key.id, secret: key.secret, limits: key.limits, source: 'config' }, `providers.${provider}.pools.${pool}.keys[${index}]`),
      );
    }
  }
  for (const [provider, keys] of envKeys) {
    for (const key of keys) add({ provider, pool: defaultPool, id: key.id, secret: key.secret, limits: {}, source: 'env' }, envKeysVariable(provider));
  }
  return result;
}
