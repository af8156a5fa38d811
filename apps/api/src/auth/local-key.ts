// The all-in-one setup's own key: `mediagate start` makes sure the default tenant has a working
// key in <MEDIAGATE_HOME>/api-key (mode 0600), where the CLI on this machine finds it, so a new
// user never has to create one. The key is written to that file only, never to a log.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultTenantId, type Runtime } from '@mediagate/engine';
import { apiKeyPrefix, hashApiKey, issueApiKey, looksLikeApiKey } from './api-keys.ts';

export function localApiKeyFile(home: string): string {
  return path.join(home, 'api-key');
}

async function readKeyFile(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface LocalApiKey {
  file: string;
  /** True when a new key was made (none on file, or the one on file was revoked or unknown). */
  created: boolean;
  prefix: string;
}

/** Keeps the key on file when it still works for the default tenant; otherwise issues and writes a new one. */
export async function ensureLocalApiKey(runtime: Runtime): Promise<LocalApiKey> {
  const file = localApiKeyFile(runtime.settings.home);
  const existing = await readKeyFile(file);
  if (existing !== undefined && looksLikeApiKey(existing)) {
    const found = await runtime.repo.findApiKeyByHash(hashApiKey(existing));
    if (found !== undefined && found.key.revokedAt === null && found.key.tenantId === defaultTenantId) {
      return { file, created: false, prefix: apiKeyPrefix(existing) };
    }
  }
  const issued = await issueApiKey(runtime.repo, { id: defaultTenantId, name: 'default' });
  await writeFile(file, `${issued.key}\n`, { mode: 0o600 });
  // The mode applies only when the file is created; a file left from before is narrowed too.
  await chmod(file, 0o600);
  return { file, created: true, prefix: issued.record.prefix };
}
