// Process-wide settings read once from the environment, with the defaults a new user gets.
// Everything that varies between all-in-one and fleet deployments is here.
import path from 'node:path';
import { InputError } from '@mediagate/core';
import { loadWebhookSettings, type WebhookSettings } from './webhooks/settings.ts';

export interface Settings {
  redisUrl: string;
  /** PostgreSQL URL; undefined means embedded PGlite under `home`. */
  databaseUrl: string | undefined;
  /** Local state: PGlite data, assets, locks. */
  home: string;
  /** MEDIAGATE_PGLITE_THREAD=1: embedded PGlite on a worker thread of its own (packages/db pglite-thread.ts). */
  pgliteThread?: boolean;
  port: number;
  host: string;
  /** Base URL of a simulated provider server; undefined starts one in-process when needed. */
  simulatedUrl: string | undefined;
  /** Attempts per target before falling back (429s do not count). */
  maxAttempts: number;
  /** What to do when a crash fell between sending a paid request and storing its handle. */
  ambiguousSubmit: 'fail' | 'resubmit';
  /** BullMQ lock duration: how soon a crashed worker's job is picked up again. */
  lockMs: number;
  /** Largest output accepted from a provider, bytes. */
  maxOutputBytes: number;
  /** Largest reference image fetched from a caller's URL (`image_urls`), bytes. */
  maxUploadBytes: number;
  /**
   * Exceptions to the URL guard (hosts, host:port, CIDRs), e.g. a model server on the LAN. The
   * simulated provider's own server is allowed for its outputs without being listed.
   */
  fetchAllow: string[];
  /** Overrides every adapter's per-attempt timeout when set. */
  attemptTimeoutMs: number | undefined;
  /**
   * Base URLs that replace cloud providers' real APIs, by provider id, from
   * `MEDIAGATE_BASE_URL_<PROVIDER>` (a compatible deployment, a proxy, a test fake).
   */
  providerBaseUrls: Record<string, string>;
  /** Base of the exponential backoff between retries. */
  retryBaseMs: number;
  /**
   * Namespace of the queues and channels in Redis. Empty: `mediagate-<database instance id>`, so
   * processes on one database share queues and installations on different ones never do.
   */
  queuePrefix: string;
  /** MEDIAGATE_SECRET: master secret for sealed values and signed URLs; unset: generated under `home`. */
  secret: string | undefined;
  /** Webhook delivery: retry schedule, attempt timeout, relay interval (MEDIAGATE_WEBHOOK_*). */
  webhooks: WebhookSettings;
  /**
   * MEDIAGATE_PUBLIC_URL: this server's base URL as providers on the internet reach it (no trailing
   * slash). When set, workers give providers that fetch reference images (Luma keyframes) signed,
   * expiring links to them under it; unset, those models refuse reference images.
   */
  publicUrl?: string | undefined;
  /**
   * MEDIAGATE_METRICS_TOKEN: when set, GET /metrics (the API's and each worker's) answers only
   * requests with `Authorization: Bearer <token>`; unset, /metrics is open, for a scraper on a
   * private network.
   */
  metricsToken?: string | undefined;
}

/** At least this long, so a metrics token is not guessable. */
const minMetricsTokenLength = 16;

function metricsTokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.MEDIAGATE_METRICS_TOKEN;
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minMetricsTokenLength || /\s/.test(raw)) {
    throw new InputError(`MEDIAGATE_METRICS_TOKEN: use at least ${minMetricsTokenLength} characters and no spaces (got ${raw.length} characters)`, {
      field: 'MEDIAGATE_METRICS_TOKEN',
    });
  }
  return raw;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new InputError(`${name}: "${raw}" is not a whole number ≥ ${min}`, { field: name });
  }
  return value;
}

const baseUrlPrefix = 'MEDIAGATE_BASE_URL_';

/** MEDIAGATE_PUBLIC_URL without its trailing slashes; anything but an http(s) URL without query is refused. */
function publicUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.MEDIAGATE_PUBLIC_URL;
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new InputError(`MEDIAGATE_PUBLIC_URL: "${raw}" is not an http(s) base URL like https://mediagate.example.com`, { field: 'MEDIAGATE_PUBLIC_URL' });
  }
  return raw.replace(/\/+$/, '');
}

/** `MEDIAGATE_BASE_URL_OPENAI=https://…` → `{ openai: 'https://…' }`; anything but an http(s) URL is refused. */
function providerBaseUrlsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(baseUrlPrefix) || raw === undefined || raw === '') continue;
    const provider = name.slice(baseUrlPrefix.length).toLowerCase().replace(/_/g, '-');
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || provider === '') {
      throw new InputError(`${name}: "${raw}" is not an http(s) URL like https://api.example.com/v1`, { field: name });
    }
    result[provider] = raw.replace(/\/+$/, '');
  }
  return result;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const ambiguous = env.MEDIAGATE_AMBIGUOUS_SUBMIT ?? 'fail';
  if (ambiguous !== 'fail' && ambiguous !== 'resubmit') {
    throw new InputError(`MEDIAGATE_AMBIGUOUS_SUBMIT: "${ambiguous}" is not allowed; allowed: fail, resubmit`, {
      field: 'MEDIAGATE_AMBIGUOUS_SUBMIT',
      allowed: ['fail', 'resubmit'],
    });
  }
  const timeout = env.MEDIAGATE_ATTEMPT_TIMEOUT_MS;
  return {
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    databaseUrl: env.DATABASE_URL || undefined,
    home: path.resolve(env.MEDIAGATE_HOME || '.mediagate'),
    pgliteThread: env.MEDIAGATE_PGLITE_THREAD !== '0',
    port: intFromEnv(env, 'PORT', 7878),
    host: env.HOST || '127.0.0.1',
    simulatedUrl: env.MEDIAGATE_SIMULATED_URL || undefined,
    maxAttempts: intFromEnv(env, 'MEDIAGATE_MAX_ATTEMPTS', 3, 1),
    ambiguousSubmit: ambiguous,
    lockMs: intFromEnv(env, 'MEDIAGATE_LOCK_MS', 30_000, 500),
    maxOutputBytes: intFromEnv(env, 'MEDIAGATE_MAX_OUTPUT_BYTES', 512 * 1024 * 1024, 1),
    maxUploadBytes: intFromEnv(env, 'MEDIAGATE_MAX_UPLOAD_BYTES', 20 * 1024 * 1024, 1),
    fetchAllow: (env.MEDIAGATE_FETCH_ALLOW ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''),
    attemptTimeoutMs: timeout ? intFromEnv(env, 'MEDIAGATE_ATTEMPT_TIMEOUT_MS', 0, 1) : undefined,
    providerBaseUrls: providerBaseUrlsFromEnv(env),
    retryBaseMs: intFromEnv(env, 'MEDIAGATE_RETRY_BASE_MS', 1000, 0),
    queuePrefix: env.MEDIAGATE_QUEUE_PREFIX || '',
    secret: env.MEDIAGATE_SECRET || undefined,
    webhooks: loadWebhookSettings(env),
    publicUrl: publicUrlFromEnv(env),
    metricsToken: metricsTokenFromEnv(env),
  };
}
