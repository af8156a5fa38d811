// Key limits hold across a fleet: two worker processes, started as `mediagate worker` with the
// same config file, share three keys whose rpm and concurrency the simulated provider enforces
// and counts. The provider's own counters prove no key was ever over its limits; a key revoked
// mid-run costs no job; a 429's Retry-After keeps the key out for every process.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './support/harness.ts';
import { killChildren, workerEnv } from './support/children.ts';
import { until } from './support/until.ts';

const cli = fileURLToPath(new URL('../apps/cli/bin/mediagate.js', import.meta.url));
/** The provider's (and our config's) "minute": short, so a run spans several windows. */
const minuteMs = 3000;
const limits = { rpm: 8, concurrency: 2 };
const secrets = { k1: 'sim-secret-one', k2: 'sim-secret-two', k3: 'sim-secret-three' };

const children: ChildProcess[] = [];
let harness: Harness | undefined;

afterEach(async () => {
  await killChildren(children);
  await harness?.close();
  harness = undefined;
});

const keyConfig = Object.entries(secrets).map(([id, secret]) => ({ id, secret, limits: { ...limits, minute_ms: minuteMs } }));

async function fleetHarness(): Promise<Harness> {
  harness = await createHarness({
    workers: false,
    simulated: { minuteMs, keys: Object.fromEntries(Object.values(secrets).map((secret) => [secret, limits])) },
    config: { providers: { simulated: { pools: { default: { keys: keyConfig } } } } },
  });
  return harness;
}

/** The same keys as a config file, secrets by reference, as an operator writes it. */
async function configFile(home: string): Promise<{ file: string; env: Record<string, string> }> {
  const file = path.join(home, 'fleet.config.yaml');
  const lines = Object.keys(secrets).map(
    (id) => `          - { id: ${id}, secret: \${FLEET_${id.toUpperCase()}}, limits: { rpm: ${limits.rpm}, concurrency: ${limits.concurrency}, minute_ms: ${minuteMs} } }`,
  );
  await writeFile(file, ['providers:', '  simulated:', '    pools:', '      default:', '        keys:', ...lines, ''].join('\n'));
  const env = Object.fromEntries(Object.entries(secrets).map(([id, secret]) => [`FLEET_${id.toUpperCase()}`, secret]));
  return { file, env };
}

async function startWorker(h: Harness): Promise<ChildProcess> {
  const { file, env } = await configFile(h.settings.home);
  const child = spawn(process.execPath, [cli, 'worker', '--providers', 'simulated', '--config', file], {
    env: workerEnv(h, { ...env, MEDIAGATE_CONCURRENCY_SIMULATED: '6', MEDIAGATE_CONFIG: '' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 60 s: ${stderr}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('mediagate worker:')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}: ${stderr}`));
    });
  });
  return child;
}

async function submitMany(h: Harness, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const job = await h.submit({ kind: 'image', prompt: `${tag} ${i}`, model: 'simulated/image', params: { simulate: { latency_ms: 150 } } });
    ids.push(job.id);
  }
  return ids;
}

async function finished(h: Harness, ids: string[]): Promise<Map<string, string>> {
  await until(async () => (await h.runtime.repo.countJobs()).succeeded + (await h.runtime.repo.countJobs()).failed >= ids.length, 120_000, 'every job to finish');
  const statuses = new Map<string, string>();
  for (const id of ids) statuses.set(id, (await h.runtime.repo.getJob(id))?.status ?? 'missing');
  return statuses;
}

describe('a fleet of two worker processes', () => {
  it('never exceeds any key’s rpm or concurrency, by the provider’s own count, and spreads the work over the keys', async () => {
    const h = await fleetHarness();
    // Submitted first: the provider runs in this test process and stamps arrivals on its event
    // loop, which must not be busy submitting while it counts.
    const ids = await submitMany(h, 40, 'fleet');
    await Promise.all([startWorker(h), startWorker(h)]);
    const statuses = await finished(h, ids);
    expect([...statuses.values()].filter((status) => status !== 'succeeded')).toEqual([]);

    const stats = h.simulated.stats();
    for (const secret of Object.values(secrets)) {
      const key = stats.byKey[secret];
      expect(key, secret).toBeDefined();
      expect(key!.maxSubmitsPerWindow, `${secret} rpm`).toBeLessThanOrEqual(limits.rpm);
      expect(key!.maxConcurrency, `${secret} concurrency`).toBeLessThanOrEqual(limits.concurrency);
      expect(key!.accepted, `${secret} share`).toBeGreaterThanOrEqual(8);
    }
    expect(stats.rateLimited).toBe(0);
    expect(stats.accepted).toBe(40);
    const views = await h.runtime.keys.describe('simulated');
    expect(views.map((view) => [view.id, view.status, view.in_flight])).toEqual([
      ['k1', 'active', 0],
      ['k2', 'active', 0],
      ['k3', 'active', 0],
    ]);
    expect(views.reduce((sum, view) => sum + view.health.attempts, 0)).toBe(40);
  });

  it('loses no job when the provider revokes a key mid-run: the key is `error` fleet-wide and the others finish the work', async () => {
    const h = await fleetHarness();
    const ids = await submitMany(h, 30, 'revoke');
    await Promise.all([startWorker(h), startWorker(h)]);
    await until(async () => (await h.runtime.repo.countJobs()).succeeded >= 6, 60_000, 'a few jobs to succeed');
    h.simulated.revoke(secrets.k2);
    const statuses = await finished(h, ids);
    expect([...statuses.values()].filter((status) => status !== 'succeeded')).toEqual([]);

    const stats = h.simulated.stats();
    expect(stats.unauthorized).toBeGreaterThanOrEqual(1);
    // Every process stops using the key after the first refusal it or another one got.
    expect(stats.unauthorized).toBeLessThanOrEqual(limits.concurrency * 2);
    const views = await h.runtime.keys.describe('simulated');
    expect(views.find((view) => view.id === 'k2')).toMatchObject({ status: 'error' });
    const events = (await Promise.all(ids.map((id) => h.events(id)))).flat();
    expect(events.filter((event) => event.type === 'key_error').map((event) => event.data.keyId)).toContain('k2');
    for (const secret of [secrets.k1, secrets.k3]) {
      expect(stats.byKey[secret]!.maxSubmitsPerWindow).toBeLessThanOrEqual(limits.rpm);
      expect(stats.byKey[secret]!.maxConcurrency).toBeLessThanOrEqual(limits.concurrency);
    }
  });
});

describe('a 429', () => {
  it('waits the Retry-After on that key, for every process, without counting a failed attempt', async () => {
    // One key, a provider minute of 60 s: its rate_limit fault asks for one (scaled) second.
    const h = await createHarness({
      simulated: { keys: { solo: {} } },
      config: { providers: { simulated: { pools: { default: { keys: [{ id: 'solo', secret: 'solo' }] } } } } },
    });
    harness = h;
    const job = await h.submit({ kind: 'image', prompt: 'retry after', model: 'simulated/image', params: { simulate: { fault: 'rate_limit', fault_times: 1 } } });
    await until(async () => (await h.runtime.keys.describe('simulated'))[0]?.status === 'rate_limited' || (await h.runtime.repo.getJob(job.id))?.status === 'succeeded', 30_000, 'the 429');
    const done = await h.waitFor(job.id);
    expect(done.status).toBe('succeeded');
    const attempts = await h.runtime.repo.listAttempts(job.id);
    expect(attempts.map((attempt) => attempt.status)).toEqual(['rate_limited', 'succeeded']);
    expect(done.attemptCount).toBe(0);
    const limited = (await h.events(job.id)).find((event) => event.type === 'rate_limited');
    expect(limited?.data.retryAfterMs).toBe(1000);
    // The second request went out no sooner than Retry-After after the first was refused.
    const refusedAt = attempts[0]!.finishedAt!.getTime();
    expect(attempts[1]!.startedAt.getTime() - refusedAt).toBeGreaterThanOrEqual(1000 - 15);
    expect(h.simulated.stats().submits).toBe(2);
  });
});
