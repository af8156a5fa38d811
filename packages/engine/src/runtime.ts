// Everything a Mediagate process needs, opened once: settings, database, asset store, Redis,
// queues, event bus, providers and keys. The api, worker and CLI all start from here.
import path from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Redis } from 'ioredis';
import { InputError } from '@mediagate/core';
import { openDatabase, type Repository } from '@mediagate/db';
import { LocalAssetStore, type AssetStore } from '@mediagate/storage';
import {
  ProviderRegistry,
  asProviderError,
  createCloudProviders,
  createGuardedFetch,
  createLocalProvider,
  createSimulatedProvider,
  startSimulatedServer,
  type GuardedFetch,
  type ProviderKey,
  type SimulatedServer,
} from '@mediagate/providers';
import { EventBus } from './bus.ts';
import { checkConfig, inConfigFile, loadConfig, type MediagateConfig } from './config/index.ts';
import { acquireHomeLock } from './home-lock.ts';
import { KeyPool } from './keys.ts';
import { FleetLimits } from './limits/fleet-limits.ts';
import { keysFromEnv, staticKeys } from './limits/key-definitions.ts';
import { registerKeyMetrics } from './limits/key-metrics.ts';
import { loadStoredKeys } from './limits/stored-keys.ts';
import { engineMetrics } from './metrics.ts';
import { Queues } from './queues.ts';
import type { RunsHere } from './outcome.ts';
import { checkRedis, createRedis } from './redis.ts';
import { loadSecrets, type Secrets } from './secrets.ts';
import { loadSettings, type Settings } from './settings.ts';

export const defaultTenantId = 'ten_default';

export interface Runtime {
  settings: Settings;
  /** mediagate.config.yaml as validated at start (the built-in defaults when there is none). */
  config: MediagateConfig;
  /** The config file read, or undefined when none exists. */
  configFile: string | undefined;
  logger: Logger;
  repo: Repository;
  store: AssetStore;
  providers: ProviderRegistry;
  keys: KeyPool;
  redis: Redis;
  queues: Queues;
  bus: EventBus;
  /** Sealing of secrets at rest and signing, from MEDIAGATE_SECRET or the home directory's secret file. */
  secrets: Secrets;
  /** Fetches provider output URLs through the URL guard; refusals are ProviderErrors. */
  outputFetch: GuardedFetch;
  /** Fetches callers' URLs (`image_urls`) through the URL guard; refusals stay guard errors, for the caller to name the field. */
  inputFetch: GuardedFetch;
  /** Runs jobs in this process when it works their queue (set by the workers it starts). */
  here?: RunsHere | undefined;
  /** Records where this process serves HTTP, so other local commands can find it. */
  announce(url: string): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  settings?: Settings;
  logger?: Logger;
  /** Which command holds the embedded database (shown to a second process). */
  command: string;
  /** Replaces the default providers (tests). */
  providers?: ProviderRegistry;
  /** Replaces the keys read from MEDIAGATE_KEYS_<PROVIDER> (tests). */
  keys?: Map<string, ProviderKey[]>;
  /** Replaces the config file (tests); otherwise --config / MEDIAGATE_CONFIG / ./mediagate.config.yaml. */
  config?: MediagateConfig;
}

/**
 * Fields never written out, wherever a log call puts them: at the top, one level down (a key, a
 * provider, headers) or in the headers of a logged request or error.
 */
const secretFields = ['secret', 'authorization', 'apiKey', 'token', 'password'];
const redactedPaths = [...secretFields, ...secretFields.map((field) => `*.${field}`), '*.headers.authorization', 'err.config.headers.authorization'];

/** Where drizzle's failed-query message lists the statement's bound values, to its end. */
const boundValues = /\nparams: [\s\S]*$/;

/**
 * An error (or error-like record) without the bound values of a failed query, anywhere in its
 * cause chain. Drizzle writes them into its error's message (and a `params` field), and they can be
 * anything a request carried: a webhook URL's token, a prompt. The statement and the causes (the
 * database's own reason) stay. Anything with no such message is returned as it is.
 */
function withoutBoundValues(error: unknown, depth = 0): unknown {
  if (typeof error !== 'object' || error === null || depth > 8) return error;
  const { message, stack, cause } = error as { message?: unknown; stack?: unknown; cause?: unknown };
  const safeCause = withoutBoundValues(cause, depth + 1);
  const leaks = typeof message === 'string' && boundValues.test(message);
  if (!leaks && safeCause === cause) return error;
  const safeMessage = leaks ? message.replace(boundValues, '\nparams: [redacted]') : message;
  // Of the error's own class (so the log still names it); the caller's error is left as it is.
  const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object | null) as Record<string, unknown>, error);
  delete copy.params;
  copy.message = safeMessage;
  if (typeof stack === 'string') copy.stack = leaks ? stack.replace(message, () => String(safeMessage)) : stack;
  if (cause !== undefined) copy.cause = safeCause;
  return copy;
}

/**
 * The same values in a written JSON line, wherever a log call put them otherwise: a message
 * string, a field, a child logger's bindings. Cut to the end of the string they are in.
 */
const boundValuesInJson = /\\nparams: (?!\[redacted\])(?:[^"\\]|\\.)*/g;

/** The process's logger: JSON lines on stderr (tests pass a `destination` to read them). */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      serializers: { err: (error: unknown) => pino.stdSerializers.err(withoutBoundValues(error) as Error) },
      hooks: { streamWrite: (line) => (line.includes('\\nparams: ') ? line.replace(boundValuesInJson, '\\nparams: [redacted]') : line) },
    },
    destination,
  );
}

/**
 * Base URLs by provider: `providers.<id>.baseURL` from the config, overridden by
 * MEDIAGATE_BASE_URL_<PROVIDER> (the environment is the deployment's last word over the file).
 */
export function providerBaseUrls(settings: Settings, config: MediagateConfig): Record<string, string> {
  const fromConfig = Object.entries(config.providers).flatMap(([id, provider]) => (provider.baseURL ? [[id, provider.baseURL.replace(/\/+$/, '')]] : []));
  return { ...Object.fromEntries(fromConfig), ...settings.providerBaseUrls };
}

async function defaultProviders(settings: Settings, config: MediagateConfig): Promise<{ registry: ProviderRegistry; simulated?: SimulatedServer }> {
  const registry = new ProviderRegistry([createLocalProvider()]);
  const baseURLs = providerBaseUrls(settings, config);
  let simulated: SimulatedServer | undefined;
  let baseURL = settings.simulatedUrl ?? baseURLs.simulated;
  if (baseURL === undefined) {
    // No simulated server configured: run one in this process so `simulated/*` always works.
    simulated = await startSimulatedServer();
    baseURL = simulated.url;
  }
  registry.add(createSimulatedProvider({ baseURL, ...(settings.attemptTimeoutMs ? { attemptTimeoutMs: settings.attemptTimeoutMs } : {}) }));
  // Listed with their capabilities even without keys; a job on one without a key fails as `auth`.
  for (const adapter of createCloudProviders({ baseURLs })) registry.add(adapter);
  return simulated ? { registry, simulated } : { registry };
}

/** `host:port` of the simulated provider's server: its outputs live there, often on loopback. */
function simulatedAllowEntry(baseURL: string | undefined): string[] {
  if (baseURL === undefined) return [];
  const url = new URL(baseURL);
  return [`${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`];
}

function createFetchers(settings: Settings, simulatedUrl: string | undefined): { outputFetch: GuardedFetch; inputFetch: GuardedFetch } {
  let outputFetch: GuardedFetch | undefined;
  try {
    // The download runs inside an attempt whose own deadline applies; this only bounds a stuck one.
    outputFetch = createGuardedFetch({
      allow: [...settings.fetchAllow, ...simulatedAllowEntry(simulatedUrl)],
      maxBytes: settings.maxOutputBytes,
      timeoutMs: 30 * 60_000,
      toError: asProviderError('output'),
    });
    const inputFetch = createGuardedFetch({ allow: settings.fetchAllow, maxBytes: settings.maxUploadBytes, timeoutMs: 30_000 });
    return { outputFetch, inputFetch };
  } catch (error) {
    void outputFetch?.close();
    if (!(error instanceof TypeError)) throw error;
    throw new InputError(`MEDIAGATE_FETCH_ALLOW: ${error.message}`, { field: 'MEDIAGATE_FETCH_ALLOW' });
  }
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  let settings = options.settings ?? loadSettings();
  // First, before anything opens: a bad config (or a missing ${VAR}) fails the start, naming it.
  const { config, file: configFile } = options.config ? { config: options.config, file: undefined } : loadConfig();
  const logger = options.logger ?? createLogger();
  await checkRedis(settings.redisUrl);
  const secrets = loadSecrets({ secret: settings.secret, home: settings.home });
  const lock = settings.databaseUrl === undefined ? acquireHomeLock(settings.home, { command: options.command }) : undefined;
  const cleanup: (() => Promise<void> | void)[] = [];
  try {
    const repo = await openDatabase(
      settings.databaseUrl !== undefined ? { url: settings.databaseUrl } : { dataDir: path.join(settings.home, 'db'), thread: settings.pgliteThread === true },
    );
    cleanup.push(() => repo.close());
    if (settings.queuePrefix === '') settings = { ...settings, queuePrefix: `mediagate-${await repo.instanceId()}` };
    const { registry, simulated } = options.providers
      ? { registry: options.providers, simulated: undefined }
      : await defaultProviders(settings, config);
    if (simulated) cleanup.push(() => simulated.close());
    checkConfig(config, registry, configFile);
    const keyDefinitions = inConfigFile(configFile, () => staticKeys(config, options.keys ?? keysFromEnv(registry.list().map((adapter) => adapter.id))));
    const { outputFetch, inputFetch } = createFetchers(settings, simulated?.url ?? settings.simulatedUrl ?? config.providers.simulated?.baseURL);
    cleanup.push(() => Promise.all([outputFetch.close(), inputFetch.close()]).then(() => undefined));
    const redis = createRedis(settings.redisUrl, { pipelined: true });
    cleanup.push(() => redis.quit().then(() => undefined, () => redis.disconnect()));
    // BullMQ defines its ~60 scripts on the connection its queues use, and its workers block on
    // theirs: the queues get a plain connection of their own, and the pipelined one (one write
    // per turn, redis.ts) carries only Mediagate's own commands.
    const queueConnection = createRedis(settings.redisUrl);
    cleanup.push(() => queueConnection.quit().then(() => undefined, () => queueConnection.disconnect()));
    const queues = new Queues(queueConnection, settings.queuePrefix);
    const keys = new KeyPool({
      limits: new FleetLimits(redis, settings.queuePrefix),
      keys: keyDefinitions,
      loadStored: () => loadStoredKeys(repo, secrets, logger),
      onError: (error) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'provider key limits unavailable'),
    });
    cleanup.push(() => keys.close());
    const runtime: Runtime = {
      settings,
      config,
      configFile,
      logger,
      repo,
      store: new LocalAssetStore(path.join(settings.home, 'assets')),
      providers: registry,
      keys,
      redis,
      queues,
      outputFetch,
      inputFetch,
      secrets,
      bus: new EventBus(redis, settings.redisUrl, settings.queuePrefix, (error) =>
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'live event not published'),
      ),
      announce(url) {
        lock?.update(url);
      },
      async close() {
        await queues.close();
        for (const step of cleanup.reverse()) await step();
        lock?.release();
      },
    };
    await repo.ensureTenant(defaultTenantId, 'default');
    registerKeyMetrics(engineMetrics(runtime).registry, keys, () => registry.list().map((adapter) => adapter.id), (error) =>
      logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'key metrics not read from Redis for this scrape'),
    );
    return runtime;
  } catch (error) {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {});
    lock?.release();
    throw error;
  }
}
