// One delivery attempt of one webhook message, and what it means: 2xx delivered, 410 stopped (and
// the tenant's endpoint disabled), a refused URL failed for good, anything else retried on the
// schedule (never sooner than Retry-After) until it runs out. Every attempt lands in the log.
import { isStorableText } from '@mediagate/core';
import type { WebhookAttemptLogEntry, WebhookDeliveryRecord, WebhookDeliveryStatus } from '@mediagate/db';
import { BlockedUrlError, FetchLimitError, redactUrl, type GuardedFetch } from '@mediagate/providers';
import type { Runtime } from '../runtime.ts';
import { SecretError } from '../secrets.ts';
import { signingSecrets } from './endpoints.ts';
import { buildWebhookBody } from './payload.ts';
import { webhookHeaders } from './signing.ts';

export type DeliveryResult = { type: 'done'; status: WebhookDeliveryStatus | 'gone' } | { type: 'retry'; delayMs: number };

/** A retry waits this much longer at most than its scheduled delay (jitter spreads bursts). */
const jitterShare = 0.2;
/** The longest Retry-After honored. */
const maxRetryAfterMs = 24 * 3_600_000;
const snippetChars = 300;

/** `Retry-After` in seconds or as an HTTP date, in ms from now. */
function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) ? Math.min(maxRetryAfterMs, Math.max(0, ms)) : undefined;
}

/** Printable, storable and short: a receiver's error body goes into the log as a hint. */
function snippet(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, snippetChars);
  return isStorableText(flat) ? flat : flat.replace(/[\uD800-\uDFFF]/g, '?');
}

/** The innermost useful message of a fetch failure ("fetch failed" wraps the socket's error). */
function describeFailure(error: unknown): string {
  let message = error instanceof Error ? error.message : String(error);
  for (let cause: unknown = error instanceof Error ? error.cause : undefined, depth = 0; cause instanceof Error && depth < 4; cause = cause.cause, depth++) {
    message = cause.message || message;
  }
  return snippet(message);
}

interface Sent {
  statusCode: number | null;
  error: string | null;
  retryAfterMs: number | undefined;
  /** The guard refused the URL: sending it again cannot help. */
  refused: boolean;
}

async function send(fetcher: GuardedFetch, url: string, headers: Record<string, string>, body: string): Promise<Sent> {
  try {
    // Redirects count as failures (Standard Webhooks): the receiver should update its URL instead.
    const response = await fetcher(url, { method: 'POST', headers, body, redirect: 'manual' });
    const ok = response.status >= 200 && response.status < 300;
    let text = '';
    if (ok) await response.body?.cancel().catch(() => undefined);
    else text = await response.text().catch(() => '');
    return {
      statusCode: response.status,
      error: ok ? null : `HTTP ${response.status}${text ? `: ${snippet(text)}` : ''}`,
      retryAfterMs: retryAfterMs(response.headers),
      refused: false,
    };
  } catch (error) {
    if (error instanceof BlockedUrlError) return { statusCode: null, error: error.message, retryAfterMs: undefined, refused: true };
    if (error instanceof FetchLimitError) return { statusCode: null, error: error.message, retryAfterMs: undefined, refused: false };
    return { statusCode: null, error: describeFailure(error), retryAfterMs: undefined, refused: false };
  }
}

/**
 * Makes the next attempt of delivery `id` unless it is no longer pending (or not due yet: then it
 * says how long to wait). 'retry' means: run this again after delayMs.
 */
export async function deliverWebhook(runtime: Runtime, fetcher: GuardedFetch, id: string): Promise<DeliveryResult> {
  const { repo, logger } = runtime;
  const delivery = await repo.webhooks.getDelivery(id);
  if (delivery === undefined) return { type: 'done', status: 'gone' };
  if (delivery.status !== 'pending') return { type: 'done', status: delivery.status };
  const dueInMs = (delivery.nextAttemptAt?.getTime() ?? 0) - Date.now();
  if (delivery.attempts > 0 && dueInMs > 250) return { type: 'retry', delayMs: dueInMs };

  const fail = async (error: string): Promise<DeliveryResult> => {
    await repo.webhooks.failDelivery(id, error);
    logger.warn({ deliveryId: id, jobId: delivery.jobId, err: error }, 'webhook not sent');
    return { type: 'done', status: 'failed' };
  };
  const endpoint = await repo.webhooks.getEndpoint(delivery.tenantId);
  if (endpoint === undefined) return fail('the tenant has no webhook signing secret, so nothing was sent');
  let secrets: string[];
  try {
    secrets = signingSecrets(runtime, endpoint);
  } catch (error) {
    if (error instanceof SecretError) return fail(error.message);
    throw error;
  }
  const body = delivery.payload ?? (await fixBody(runtime, delivery));
  if (body === undefined) return fail('the job was deleted before its webhook could be sent');

  const timestampSeconds = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Mediagate-Webhooks/1',
    ...webhookHeaders({ id, timestampSeconds, body, secrets }),
  };
  const started = performance.now();
  const sent = await send(fetcher, delivery.url, headers, body);
  const attempt: WebhookAttemptLogEntry = {
    at: new Date(timestampSeconds * 1000).toISOString(),
    statusCode: sent.statusCode,
    latencyMs: Math.round(performance.now() - started),
    error: sent.error,
  };
  return settle(runtime, delivery, attempt, sent);
}

async function fixBody(runtime: Runtime, delivery: WebhookDeliveryRecord): Promise<string | undefined> {
  const built = await buildWebhookBody(runtime, delivery);
  // Stored before the first send, so every retry (from any worker) carries the same bytes.
  return built === undefined ? undefined : ((await runtime.repo.webhooks.fixPayload(delivery.id, built)) ?? built);
}

async function settle(runtime: Runtime, delivery: WebhookDeliveryRecord, attempt: WebhookAttemptLogEntry, sent: Sent): Promise<DeliveryResult> {
  const { repo, logger, settings } = runtime;
  const log = { deliveryId: delivery.id, jobId: delivery.jobId, url: redactUrl(delivery.url), statusCode: sent.statusCode, latencyMs: attempt.latencyMs };
  const status = sent.statusCode;
  if (status !== null && status >= 200 && status < 300) {
    await repo.webhooks.recordAttempt(delivery.id, attempt, { status: 'delivered', nextAttemptAt: null });
    logger.info(log, 'webhook delivered');
    return { type: 'done', status: 'delivered' };
  }
  if (status === 410) {
    // The receiver wants no more: send nothing new to that endpoint, then stop this message. In
    // that order, whoever sees the message stopped also sees the endpoint disabled, and a crash in
    // between only means the message is tried (and refused) once more.
    await repo.webhooks.disableEndpoint(delivery.tenantId, delivery.url, `${redactUrl(delivery.url)} answered 410 Gone at ${attempt.at}`);
    await repo.webhooks.recordAttempt(delivery.id, attempt, { status: 'stopped', nextAttemptAt: null });
    logger.warn(log, 'webhook receiver answered 410 Gone; endpoint disabled');
    return { type: 'done', status: 'stopped' };
  }
  const schedule = settings.webhooks.retryDelaysMs;
  const scheduled = schedule[delivery.attempts];
  if (sent.refused || scheduled === undefined) {
    await repo.webhooks.recordAttempt(delivery.id, attempt, { status: 'failed', nextAttemptAt: null });
    logger.warn({ ...log, err: attempt.error }, sent.refused ? 'webhook URL refused' : 'webhook retries exhausted');
    return { type: 'done', status: 'failed' };
  }
  const delayMs = Math.max(Math.round(scheduled * (1 + Math.random() * jitterShare)), sent.retryAfterMs ?? 0);
  const recorded = await repo.webhooks.recordAttempt(delivery.id, attempt, { status: 'pending', nextAttemptAt: new Date(Date.now() + delayMs) });
  logger.info({ ...log, err: attempt.error, retryInMs: delayMs }, 'webhook attempt failed; retrying');
  return recorded ? { type: 'retry', delayMs } : { type: 'done', status: 'gone' };
}
