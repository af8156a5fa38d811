// Provider keys added at run time through the admin API, as stored in `provider_keys`: the
// secret sealed with the master secret, the row id `<provider>/<key id>` (key ids are unique per
// provider), `inactive` when an operator disabled it.
import type { Repository } from '@mediagate/db';
import type { Logger } from 'pino';
import type { KeyLimits } from '../config/schema.ts';
import type { Secrets } from '../secrets.ts';
import type { KeyDefinition } from './key-definitions.ts';

export function storedKeyRowId(provider: string, keyId: string): string {
  return `${provider}/${keyId}`;
}

export async function loadStoredKeys(repo: Repository, secrets: Secrets, logger: Logger): Promise<(KeyDefinition & { disabled?: boolean })[]> {
  const rows = await repo.listProviderKeys();
  return rows.flatMap((row) => {
    const id = row.id.startsWith(`${row.provider}/`) ? row.id.slice(row.provider.length + 1) : row.id;
    let secret: string;
    try {
      secret = secrets.open('provider-keys', row.secret);
    } catch (error) {
      // Never the secret itself: only which key could not be read and why.
      logger.error({ provider: row.provider, keyId: id, err: (error as Error).message }, 'stored provider key unreadable; not used');
      return [];
    }
    const definition: KeyDefinition & { disabled?: boolean } = {
      provider: row.provider,
      pool: row.pool,
      id,
      secret,
      limits: row.limits as KeyLimits,
      source: 'admin',
    };
    return [row.status === 'inactive' ? { ...definition, disabled: true } : definition];
  });
}
