// Tenant API keys: `mg_` + 32 random bytes (base64url). Only a SHA-256 hash is stored — enough for
// keys with 256 bits of entropy, and fast enough to check on every request — plus a short
// prefix that tells keys apart in listings and logs. The full key is shown once, at creation.
import { hash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, Repository, TenantRecord } from '@mediagate/db';

/** Every key starts with this, so a leaked key is recognizable (e.g. by secret scanners). */
export const apiKeyMarker = 'mg_';

/** Characters of a key shown anywhere: the marker and 8 random ones (48 bits, never enough to guess the rest). */
const prefixLength = apiKeyMarker.length + 8;

/** Longest Authorization value worth hashing; real keys are 46 characters. */
export const maxApiKeyLength = 200;

export function generateApiKey(): string {
  return `${apiKeyMarker}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  // The one-shot form: a Hash object per call costs several times the digest itself.
  return hash('sha256', key, 'hex');
}

export function apiKeyPrefix(key: string): string {
  return key.slice(0, prefixLength);
}

/** True for what could be one of our keys; anything else is refused without a database read. */
export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(apiKeyMarker) && value.length <= maxApiKeyLength && /^[\x21-\x7e]+$/.test(value);
}

export interface IssuedApiKey {
  /** The full key: hand it to the caller once and forget it. */
  key: string;
  record: ApiKeyRecord;
  tenant: TenantRecord;
}

/** Creates the tenant when it is new (named `tenantName`, else its id) and a key for it. */
export async function issueApiKey(repo: Repository, tenant: { id: string; name?: string }): Promise<IssuedApiKey> {
  const tenantRecord = await repo.ensureTenant(tenant.id, tenant.name ?? tenant.id);
  const key = generateApiKey();
  const record = await repo.createApiKey({
    id: `key_${randomBytes(8).toString('hex')}`,
    tenantId: tenantRecord.id,
    prefix: apiKeyPrefix(key),
    hash: hashApiKey(key),
  });
  return { key, record, tenant: tenantRecord };
}
