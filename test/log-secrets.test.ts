// "Structured logs with job ids, never a secret", end to end: a runtime whose logger is the
// production one (createLogger: level, base fields, redaction) at trace level, writing every line
// into this test instead of stderr; the API listening on 127.0.0.1 with an admin key and a metrics
// token; real workers; a simulated provider that knows some keys and refuses others; a webhook
// receiver that fails once. Every path that handles a secret is driven — tenant keys good, wrong
// and revoked, the admin key (Bearer and Basic), validation failures, 500s, provider keys from the
// config and from the admin API, a provider 401 and 429, a signed webhook retried after a 500,
// signed asset links, the metrics token — and then no secret may appear in anything logged, while
// the log must be there and name the jobs (so the check cannot pass on an empty log).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DrizzleQueryError } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApi, ensureLocalApiKey, localApiKeyFile } from '@mediagate/api';
import { configSchema, createLogger, createRuntime, loadSettings, obliterateWebhookQueue, type Runtime } from '@mediagate/engine';
import { startSimulatedServer, type SimulatedServer } from '@mediagate/providers';
import { startWorkers, type WorkerFleet } from '@mediagate/worker';
import { createTestDatabase, type TestDatabase } from './support/postgres.ts';
import { until } from './support/until.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

// Secrets known before start. The simulated provider accepts the config key and the one added
// through the admin API; the stale key is one it does not know (a 401, as a revoked key gets).
const adminKey = token('adm-');
const wrongAdminKey = token('adm-');
const masterSecret = token('master-');
const metricsToken = token('metrics-');
const configProviderSecret = token('sk-config-');
const addedProviderSecret = token('sk-added-');
const staleProviderSecret = token('sk-stale-');
const webhookUrlToken = token('hooktoken-');
const wrongTenantKey = token('mg_');

interface LogLine {
  level: number;
  msg?: string;
  jobId?: string;
  [field: string]: unknown;
}

/** Everything the process logged, as written (JSON lines). */
const written: string[] = [];
const logText = () => written.join('');
const logLines = (): LogLine[] =>
  logText()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);

/** Secrets learned while the test runs (keys created, webhook secret, signatures…), by name. */
const secrets = new Map<string, string>([
  ['admin key', adminKey],
  ['wrong admin key', wrongAdminKey],
  ['admin key as HTTP Basic', Buffer.from(`admin:${adminKey}`).toString('base64')],
  ['master secret', masterSecret],
  ['metrics token', metricsToken],
  ['config provider key', configProviderSecret],
  ['admin-added provider key', addedProviderSecret],
  ['rejected provider key', staleProviderSecret],
  ['token in the webhook URL', webhookUrlToken],
  ['wrong tenant key', wrongTenantKey],
]);

/** Where the secret text is, if anywhere: the whole secret, or a run of 16 of its characters past any prefix shown by design. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, secret] of secrets) {
    const core = secret.slice(Math.max(0, secret.length - 24), secret.length - 8);
    if (text.includes(secret) || text.includes(core)) found.push(name);
  }
  return found;
}

let home: string;
let database: TestDatabase;
let simulated: SimulatedServer;
let receiver: WebhookReceiver;
let runtime: Runtime;
let fleet: WorkerFleet;
let app: FastifyInstance;
let baseUrl: string;
let tenantKey: string;
const jobIds: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'mediagate-log-secrets-'));
  database = await createTestDatabase();
  simulated = await startSimulatedServer({ keys: { [configProviderSecret]: {}, [addedProviderSecret]: {} }, minuteMs: 600 });
  receiver = await startWebhookReceiver();
  runtime = await createRuntime({
    command: 'test',
    // As `mediagate start` runs, with the production logger: only its destination is the test's.
    logger: createLogger('trace', { write: (line: string) => void written.push(line) }),
    settings: {
      ...loadSettings({}),
      home,
      databaseUrl: database.url,
      simulatedUrl: simulated.url,
      queuePrefix: `mglog-${randomBytes(4).toString('hex')}`,
      retryBaseMs: 20,
      secret: masterSecret,
      metricsToken,
      fetchAllow: ['127.0.0.1'],
      webhooks: { retryDelaysMs: [50], timeoutMs: 2000, pollMs: 40, concurrency: 4 },
    },
    config: configSchema.parse({
      providers: {
        simulated: {
          pools: {
            default: { keys: [{ id: 'cfg', secret: configProviderSecret }] },
            stale: { keys: [{ id: 'stale', secret: staleProviderSecret }] },
          },
        },
      },
    }),
  });
  fleet = await startWorkers(runtime);
  app = await buildApi(runtime, { adminKey });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // The key `mediagate start` writes for the CLI (and logs the prefix of).
  const local = await ensureLocalApiKey(runtime);
  runtime.logger.info({ file: local.file, prefix: local.prefix }, 'created an API key for the default tenant');
  tenantKey = (await readFile(localApiKeyFile(home), 'utf8')).trim();
  secrets.set('tenant key', tenantKey);
});

afterAll(async () => {
  await app?.close();
  await fleet?.close();
  if (runtime) {
    await runtime.queues.obliterate(runtime.providers.list().map((adapter) => adapter.id)).catch(() => undefined);
    await obliterateWebhookQueue(runtime).catch(() => undefined);
    await runtime.close();
  }
  await simulated?.close();
  await receiver?.close();
  await database?.drop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function call(method: string, url: string, options: { key?: string; authorization?: string; body?: unknown; rawBody?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  else if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers,
    ...(options.rawBody !== undefined ? { body: options.rawBody } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
}

interface JobBody {
  id: string;
  status: string;
  outputs: { id: string }[];
}

async function finished(jobId: string): Promise<JobBody> {
  let job: JobBody | undefined;
  await until(
    async () => {
      job = (await call('GET', `/v1/jobs/${jobId}`, { key: tenantKey })).json<JobBody>();
      return ['succeeded', 'failed', 'canceled'].includes(job.status);
    },
    30_000,
    `job ${jobId} to end`,
  );
  return job!;
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const response = await call('POST', '/v1/jobs', { key: tenantKey, body: { kind: 'image', model: 'simulated/image', ...body } });
  expect(response.status, response.text).toBe(201);
  const { id } = response.json<{ id: string }>();
  jobIds.push(id);
  return id;
}

describe('logs never carry a secret', () => {
  it('tenant keys: good, wrong, malformed, revoked; admin key: Bearer, Basic, wrong; validation failures', async () => {
    expect((await call('GET', '/v1/jobs', { key: tenantKey })).status).toBe(200);
    expect((await call('GET', '/v1/jobs', { key: wrongTenantKey })).status).toBe(401);
    expect((await call('GET', '/v1/jobs', { authorization: `Basic ${Buffer.from(`x:${wrongTenantKey}`).toString('base64')}` })).status).toBe(401);
    expect((await call('GET', '/v1/admin/keys', { key: wrongAdminKey })).status).toBe(401);
    expect((await call('GET', '/v1/admin/keys', { authorization: `Basic ${secrets.get('admin key as HTTP Basic')}` })).status).toBe(200);

    const created = await call('POST', '/v1/admin/keys', { key: adminKey, body: { tenant_id: 'ten_logs', tenant_name: 'logs' } });
    expect(created.status, created.text).toBe(201);
    const { id: keyId, key: otherKey } = created.json<{ id: string; key: string }>();
    secrets.set('tenant key made by the admin API', otherKey);
    expect((await call('GET', '/v1/jobs', { key: otherKey })).status).toBe(200);
    expect((await call('DELETE', `/v1/admin/keys/${keyId}`, { key: adminKey })).status).toBe(200);
    expect((await call('GET', '/v1/jobs', { key: otherKey })).status).toBe(401);

    expect((await call('POST', '/v1/admin/keys', { key: adminKey, body: { tenant_id: '!bad', extra: adminKey } })).status).toBe(400);
    expect((await call('POST', '/v1/jobs', { key: tenantKey, body: { kind: 'image', model: 'simulated/image', prompt: tenantKey, bogus: tenantKey } })).status).toBe(400);
    expect((await call('POST', '/v1/jobs', { key: tenantKey, rawBody: `{"prompt": "${tenantKey}"` })).status).toBe(400);
  });

  it('500s (an internal fault inside an authenticated request) are logged without the key', async () => {
    vi.spyOn(runtime.repo, 'listJobs').mockRejectedValueOnce(new Error('connection terminated unexpectedly'));
    expect((await call('GET', '/v1/jobs', { key: tenantKey })).status).toBe(500);
    vi.spyOn(runtime.repo, 'listApiKeys').mockRejectedValueOnce(new Error('connection terminated unexpectedly'));
    expect((await call('GET', '/v1/admin/keys', { key: adminKey })).status).toBe(500);
    vi.restoreAllMocks();
    const failed = logLines().filter((line) => line.msg === 'request failed');
    expect(failed).toHaveLength(2);
  });

  it('provider keys: from the config, added through the admin API, rejected (401) and rate limited (429)', async () => {
    const added = await call('POST', '/v1/admin/providers/simulated/keys', { key: adminKey, body: { id: 'added', secret: addedProviderSecret, pool: 'extra' } });
    expect(added.status, added.text).toBe(201);
    expect((await call('POST', '/v1/admin/providers/simulated/keys', { key: adminKey, body: { id: 'bad id!', secret: addedProviderSecret } })).status).toBe(400);

    const plain = await submit({ prompt: 'config key' });
    const limited = await submit({ prompt: 'rate limited once', params: { simulate: { fault: 'rate_limit', fault_times: 1 } } });
    const viaAdded = await submit({ prompt: 'added key', pool: 'extra' });
    const rejected = await submit({ prompt: 'stale key', pool: 'stale' });
    expect((await finished(plain)).status).toBe('succeeded');
    expect((await finished(limited)).status).toBe('succeeded');
    expect((await finished(viaAdded)).status).toBe('succeeded');
    expect((await finished(rejected)).status).toBe('failed');
    const stats = simulated.stats();
    expect(stats.rateLimited).toBeGreaterThanOrEqual(1);
    expect(stats.unauthorized).toBeGreaterThanOrEqual(1);
    expect(stats.byKey[addedProviderSecret]?.accepted ?? 0).toBeGreaterThanOrEqual(1);
    await until(async () => logLines().some((line) => line.msg === 'provider key rejected; disabled' && line.jobId === rejected), 10_000, 'the rejected key to be logged');
  });

  it('webhooks: the endpoint secret, a delivery that fails once and is retried, and a token in its URL', async () => {
    const endpoint = await call('PUT', '/v1/webhooks/endpoint', { key: tenantKey, body: { url: `${receiver.url}/hook?token=${webhookUrlToken}` } });
    expect(endpoint.status, endpoint.text).toBe(201);
    const webhookSecret = endpoint.json<{ secret: string }>().secret;
    secrets.set('webhook signing secret', webhookSecret);
    secrets.set('webhook signing key (base64)', webhookSecret.replace(/^whsec_/, ''));
    const rotated = await call('POST', '/v1/webhooks/secret/rotate', { key: tenantKey, body: { previous_secret_valid_for: 3600 } });
    expect(rotated.status, rotated.text).toBe(200);
    secrets.set('rotated webhook signing secret', rotated.json<{ secret: string }>().secret);

    receiver.script(500);
    const jobId = await submit({ prompt: 'webhook' });
    await finished(jobId);
    await until(async () => logLines().some((line) => line.msg === 'webhook delivered' && line.jobId === jobId), 20_000, 'the webhook to be delivered');
    expect(logLines().some((line) => line.msg === 'webhook attempt failed; retrying' && line.jobId === jobId)).toBe(true);
    const hits = receiver.received.filter((hit) => hit.headers['webhook-id'] === `msg_${jobId}`);
    expect(hits.map((hit) => hit.path)).toEqual([`/hook?token=${webhookUrlToken}`, `/hook?token=${webhookUrlToken}`]);
    // Signed with the current and the rotated-out secret: "v1,<base64> v1,<base64>".
    const signatures = hits.flatMap((hit) => String(hit.headers['webhook-signature']).split(' ')).map((signature) => signature.replace(/^v1,/, ''));
    expect(signatures).toHaveLength(4);
    signatures.forEach((signature, index) => secrets.set(`webhook signature ${index + 1}`, signature));
  });

  it('signed asset links and the metrics token', async () => {
    const [jobId] = jobIds;
    const job = await finished(jobId!);
    const assetId = job.outputs[0]!.id;
    const shared = await call('POST', `/v1/assets/${assetId}/share`, { key: tenantKey, body: {} });
    expect(shared.status, shared.text).toBe(201);
    const link = shared.json<{ path: string }>().path;
    const signature = new URL(link, baseUrl).searchParams.get('signature') ?? '';
    expect(signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    secrets.set('asset link signature', signature);
    expect((await call('GET', link)).status).toBe(200);
    expect((await call('GET', link.replace(/expires=\d+/, 'expires=1'))).status).toBe(403);

    expect((await call('GET', '/metrics', { key: metricsToken })).status).toBe(200);
    expect((await call('GET', '/metrics', { key: wrongAdminKey })).status).toBe(401);
  });

  it('leaves a log that names the jobs and holds none of the secrets', () => {
    const lines = logLines();
    // Not vacuous: this runtime's logger wrote at debug level, through the API's request loggers,
    // the workers and the webhook sender, and named every job.
    const messages = new Set(lines.map((line) => line.msg));
    for (const msg of ['workers ready', 'api key created', 'api key revoked', 'request failed', 'provider key added', 'provider key rejected; disabled', 'webhook attempt failed; retrying', 'webhook delivered']) {
      expect(messages, msg).toContain(msg);
    }
    expect(lines.some((line) => line.level <= 20)).toBe(true);
    expect(lines.some((line) => typeof line.reqId === 'string')).toBe(true);
    for (const jobId of jobIds) expect(lines.some((line) => line.jobId === jobId), jobId).toBe(true);
    expect(secrets.size).toBeGreaterThanOrEqual(18);
    expect(leaks(logText())).toEqual([]);
  });

  it('the production logger redacts the shapes it promises to', () => {
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
    const secret = token('sk-shape-');
    logger.info({ headers: { authorization: `Bearer ${secret}` } }, 'headers');
    logger.info({ key: { id: 'k', secret } }, 'key');
    logger.child({ reqId: 'r' }).warn({ provider: { apiKey: secret } }, 'provider');
    logger.info({ secret, authorization: `Bearer ${secret}`, apiKey: secret, token: secret, password: secret }, 'top level');
    logger.info({ metrics: { token: secret }, database: { password: secret } }, 'one level down');
    logger.info({ req: { headers: { authorization: `Bearer ${secret}` } } }, 'request headers');
    logger.error({ err: { message: 'upstream failed', config: { headers: { authorization: `Bearer ${secret}` } } } }, 'error with its request');
    expect(lines).toHaveLength(7);
    expect(lines.join('')).not.toContain(secret);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('the production logger leaves out the bound values of a failed query, however it is logged', () => {
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
    const secret = token('hooktoken-');
    // A failed query as drizzle reports it: the statement, then its bound values (a `$&` in the
    // statement would put the original text back into a string replacement).
    const failed = new DrizzleQueryError(
      'insert into "jobs" ("id", "webhook_url") values ($1, $2) -- $&',
      ['job_1', `https://hooks.example/in?token=${secret}\nand a second line`],
      new Error('connection terminated'),
    );
    expect(failed.message).toContain(secret);
    const logged = [
      () => logger.error({ err: failed, jobId: 'job_1' }, 'request failed'),
      () => logger.error({ err: failed }),
      () => logger.error(failed),
      () => logger.warn({ err: failed.message }, 'run here failed'),
      () => logger.warn({ err: { message: failed.message } }, 'an error record'),
      () => logger.error({ err: new Error('creating the job failed', { cause: failed }) }, 'wrapped'),
      () => logger.warn(`failed: ${failed.message}`),
      () => logger.child({ failure: failed.message }).info('bound on a child'),
    ];
    for (const log of logged) log();
    expect(lines).toHaveLength(logged.length);
    for (const [index, line] of lines.entries()) {
      expect(line, `line ${index}`).not.toContain(secret);
      expect(line, `line ${index}`).not.toContain('second line');
      expect(line, `line ${index}`).toContain('params: [redacted]');
    }
    // The statement, the class and the database's reason stay where an error is serialized.
    const [first] = lines.map((line) => JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } });
    expect(first?.err?.type).toBe('DrizzleQueryError');
    expect(first?.err?.message).toContain('insert into "jobs"');
    expect(first?.err?.message).toContain('connection terminated');
    expect(first?.err?.stack).toContain('at ');
    expect(lines[5]).toContain('connection terminated');
    // The caller's error is not changed by being logged.
    expect(failed.message).toContain(secret);
    expect(lines.join('')).not.toContain(secret);
    expect(lines.join('')).toContain('[redacted]');
  });
});
