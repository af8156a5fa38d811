// A tenant's webhook settings: the endpoint URL and the signing secret. The secret is made here,
// stored only sealed ('webhook-secrets' key of the master secret) and handed back once, in the
// answer that created or rotated it; afterwards only its creation time is shown.
import { InputError } from '@mediagate/core';
import type { WebhookEndpointRecord } from '@mediagate/db';
import type { Runtime } from '../runtime.ts';
import { generateWebhookSecret } from './signing.ts';
import { checkWebhookUrl } from './url-check.ts';

export interface WebhookEndpointView {
  object: 'webhook_endpoint';
  /** Where terminal job states go when a job names no webhook_url; null when unset. */
  url: string | null;
  /** False after the receiver answered 410 Gone, until the URL is set again. */
  enabled: boolean;
  disabled_reason: string | null;
  /** Whether a signing secret exists (per-job webhook_url needs one too). */
  has_secret: boolean;
  secret_created_at: string | null;
  /** Until when the secret before the last rotation still signs beside the current one. */
  previous_secret_expires_at: string | null;
  /** Only in the answer that created or rotated it: `whsec_…`, shown this once. */
  secret?: string;
}

export function webhookEndpointView(endpoint: WebhookEndpointRecord | undefined, now = new Date()): WebhookEndpointView {
  const previousLive = endpoint?.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now ? endpoint.previousSecretExpiresAt : null;
  return {
    object: 'webhook_endpoint',
    url: endpoint?.url ?? null,
    enabled: endpoint?.url != null && endpoint.disabledAt === null,
    disabled_reason: endpoint?.disabledReason ?? null,
    has_secret: endpoint !== undefined,
    secret_created_at: endpoint?.secretCreatedAt.toISOString() ?? null,
    previous_secret_expires_at: previousLive?.toISOString() ?? null,
  };
}

export async function getWebhookEndpoint(runtime: Runtime, tenantId: string): Promise<WebhookEndpointView> {
  return webhookEndpointView(await runtime.repo.webhooks.getEndpoint(tenantId));
}

/** Sets (or re-enables) the tenant's URL; the first time, a secret is made and returned with it. */
export async function setWebhookEndpoint(runtime: Runtime, tenantId: string, url: string): Promise<{ view: WebhookEndpointView; created: boolean }> {
  await checkWebhookUrl(url, runtime.settings.fetchAllow, 'url');
  const secret = generateWebhookSecret();
  const { endpoint, created } = await runtime.repo.webhooks.setEndpointUrl(tenantId, url, runtime.secrets.seal('webhook-secrets', secret));
  const view = webhookEndpointView(endpoint);
  return { view: created ? { ...view, secret } : view, created };
}

/** Removes the URL; the secret stays for jobs that name their own webhook_url. */
export async function clearWebhookEndpoint(runtime: Runtime, tenantId: string): Promise<WebhookEndpointView> {
  return webhookEndpointView(await runtime.repo.webhooks.clearEndpointUrl(tenantId));
}

/** A new secret (also the first one); the old one keeps signing beside it for `previousValidForMs`. */
export async function rotateWebhookSecret(runtime: Runtime, tenantId: string, previousValidForMs: number): Promise<WebhookEndpointView> {
  const secret = generateWebhookSecret();
  const endpoint = await runtime.repo.webhooks.rotateSecret(
    tenantId,
    runtime.secrets.seal('webhook-secrets', secret),
    new Date(Date.now() + previousValidForMs),
  );
  return { ...webhookEndpointView(endpoint), secret };
}

/** The secrets a message is signed with now: the current one, then a rotated-out one still valid. */
export function signingSecrets(runtime: Runtime, endpoint: WebhookEndpointRecord, now = new Date()): string[] {
  const secrets = [runtime.secrets.open('webhook-secrets', endpoint.secretSealed)];
  if (endpoint.previousSecretSealed && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(runtime.secrets.open('webhook-secrets', endpoint.previousSecretSealed));
  }
  return secrets;
}

/**
 * A job's webhook_url at submit: refused (400, naming the field) when the guard plainly refuses
 * it, or when the tenant has no signing secret yet — its receiver could verify nothing.
 */
export async function checkJobWebhookUrl(runtime: Runtime, tenantId: string, url: string): Promise<void> {
  await checkWebhookUrl(url, runtime.settings.fetchAllow, 'webhook_url');
  if ((await runtime.repo.webhooks.getEndpoint(tenantId)) === undefined) {
    throw new InputError(
      'webhook_url: this tenant has no webhook signing secret yet; create one with POST /v1/webhooks/secret/rotate (or PUT /v1/webhooks/endpoint), keep the whsec_ secret it returns, then send the job again',
      { field: 'webhook_url', code: 'webhook_secret_missing' },
    );
  }
}
