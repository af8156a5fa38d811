// The headline: N image jobs over K keys, each limited by the provider to R requests per
// (time-scaled) minute. Mediagate (worker processes sharing the keys through Redis) against the
// naive approach (every request at once with Promise.all, retrying 429s with backoff).
//
//   npx tsx bench/rate-limits.ts [--jobs 600] [--keys 3] [--rpm 40] [--minute-ms 5000]
//                                [--latency 200] [--workers 2] [--runs 3]
//
// Both start with every job ready at t=0: Mediagate's are queued while its (already started)
// workers are paused, then the queue is resumed and the clock starts.
// Reported per approach (medians over --runs): makespan ÷ N/(K·R) (the theoretical minimum at
// the keys' total rate), failed jobs, and 429s as a share of the provider's requests — counted by
// the simulated provider itself, which runs in this process and enforces a sliding window.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Pool } from 'undici';
import { createRuntime, defaultTenantId, loadSettings, parseConfig, submitJob } from '@mediagate/engine';
import { ProviderRegistry, createLocalProvider, createSimulatedProvider, startSimulatedServer, type SimulatedServer } from '@mediagate/providers';
import { createTestDatabase } from '../test/support/postgres.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '600' },
    keys: { type: 'string', default: '3' },
    rpm: { type: 'string', default: '40' },
    'minute-ms': { type: 'string', default: '5000' },
    latency: { type: 'string', default: '200' },
    workers: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
  },
});
const jobs = Number(values.jobs);
const keyCount = Number(values.keys);
const rpm = Number(values.rpm);
const minuteMs = Number(values['minute-ms']);
const latencyMs = Number(values.latency);
const workerCount = Number(values.workers);
const runs = Number(values.runs);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cli = fileURLToPath(new URL('../apps/cli/bin/mediagate.js', import.meta.url));
const secrets = Array.from({ length: keyCount }, (_, index) => `bench-key-${index + 1}`);
/** N ÷ total rate: the makespan if the keys' full rate were used from the first to the last request. */
const theoreticalSeconds = jobs / ((keyCount * rpm) / (minuteMs / 1000));

interface Result {
  approach: string;
  makespanSeconds: number;
  ratio: number;
  failed: number;
  providerRequests: number;
  rateLimited: number;
  share429: number;
}

function outcome(approach: string, seconds: number, failed: number, simulated: SimulatedServer): Result {
  const stats = simulated.stats();
  return {
    approach,
    makespanSeconds: Math.round(seconds * 100) / 100,
    ratio: Math.round((seconds / theoreticalSeconds) * 1000) / 1000,
    failed,
    providerRequests: stats.submits,
    rateLimited: stats.rateLimited,
    share429: Math.round((stats.rateLimited / Math.max(1, stats.submits)) * 10000) / 10000,
  };
}

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, 'worker', '--providers', 'simulated'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('mediagate worker:')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${stderr}`)));
  });
}

async function mediagateRun(simulated: SimulatedServer, run: number): Promise<Result> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'mediagate-bench-limits-'));
  const database = await createTestDatabase();
  const prefix = `mgbench-limits-${process.pid}-${run}`;
  const keysYaml = secrets.map((_, index) => `          - { id: k${index + 1}, secret: \${BENCH_KEY_${index + 1}}, limits: { rpm: ${rpm}, minute_ms: ${minuteMs} } }`);
  const configFile = path.join(home, 'mediagate.config.yaml');
  await writeFile(configFile, ['providers:', '  simulated:', '    pools:', '      default:', '        keys:', ...keysYaml, ''].join('\n'));
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    MEDIAGATE_HOME: home,
    MEDIAGATE_QUEUE_PREFIX: prefix,
    MEDIAGATE_SIMULATED_URL: simulated.url,
    MEDIAGATE_CONFIG: configFile,
    MEDIAGATE_CONCURRENCY_SIMULATED: '32',
    LOG_LEVEL: 'warn',
    ...Object.fromEntries(secrets.map((secret, index) => [`BENCH_KEY_${index + 1}`, secret])),
  };
  // The producer side: this process submits straight through the engine (no HTTP in the way).
  const runtime = await createRuntime({
    command: 'bench',
    settings: { ...loadSettings({}), databaseUrl: database.url, home, queuePrefix: prefix, simulatedUrl: simulated.url },
    providers: new ProviderRegistry([createLocalProvider(), createSimulatedProvider({ baseURL: simulated.url })]),
    logger: pino({ level: 'warn' }),
    config: parseConfig({
      providers: { simulated: { pools: { default: { keys: secrets.map((secret, index) => ({ id: `k${index + 1}`, secret, limits: { rpm, minute_ms: minuteMs } })) } } } },
    }),
  });
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker(env)));
  try {
    // Like the naive run, every job is there at t=0: queued while the (warm) workers are paused.
    const queue = runtime.queues.queue('simulated');
    await queue.pause();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let index = next++; index < jobs; index = next++) {
          await submitJob(runtime, defaultTenantId, { kind: 'image', prompt: `limits ${run} ${index}`, model: 'simulated/image', params: { width: 64, height: 64, simulate: { latency_ms: latencyMs } } });
        }
      }),
    );
    simulated.reset();
    const started = performance.now();
    await queue.resume();
    let counts = await runtime.repo.countJobs();
    while (counts.succeeded + counts.failed < jobs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      counts = await runtime.repo.countJobs();
    }
    return outcome('mediagate', (performance.now() - started) / 1000, counts.failed, simulated);
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => new Promise((resolve) => (worker.exitCode !== null ? resolve(null) : worker.once('exit', resolve)))));
    await runtime.queues.obliterate(['simulated']).catch(() => undefined);
    await runtime.close();
    await database.drop();
    await rm(home, { recursive: true, force: true });
  }
}

/**
 * What a script without a scheduler does: every request at once, keys round-robin, and on a 429
 * the usual client retry — wait Retry-After (retry-after-ms when given) or an exponential backoff
 * with jitter, up to 10 retries.
 */
async function naiveRun(simulated: SimulatedServer): Promise<Result> {
  simulated.reset();
  const client = new Pool(simulated.url, { connections: 256 });
  const maxRetries = 10;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: jobs }, async (_, index) => {
      const secret = secrets[index % secrets.length]!;
      for (let attempt = 0; ; attempt++) {
        const response = await client.request({
          path: '/v1/generate',
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'image', prompt: `naive ${index}`, params: { width: 64, height: 64, simulate: { latency_ms: latencyMs } } }),
        });
        await response.body.arrayBuffer();
        if (response.statusCode === 200) return;
        if (response.statusCode !== 429 || attempt >= maxRetries) {
          failed += 1;
          return;
        }
        const header = response.headers['retry-after-ms'] ?? undefined;
        const retryAfter = header !== undefined ? Number(header) : Number(response.headers['retry-after'] ?? NaN) * 1000;
        const backoff = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, Number.isFinite(retryAfter) ? retryAfter : backoff));
      }
    }),
  );
  const result = outcome('naive Promise.all + retry', (performance.now() - started) / 1000, failed, simulated);
  await client.close();
  return result;
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const simulated = await startSimulatedServer({ minuteMs, keys: Object.fromEntries(secrets.map((secret) => [secret, { rpm }])) });
  const results: Result[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      for (const result of [await mediagateRun(simulated, run), await naiveRun(simulated)]) {
        results.push(result);
        process.stdout.write(`${JSON.stringify({ run, ...result })}\n`);
      }
    }
  } finally {
    await simulated.close();
  }
  const summary = ['mediagate', 'naive Promise.all + retry'].map((approach) => {
    const mine = results.filter((result) => result.approach === approach);
    return {
      approach,
      runs: mine.length,
      makespan_s: median(mine.map((result) => result.makespanSeconds)),
      ratio_to_minimum: median(mine.map((result) => result.ratio)),
      ratio_range: [Math.min(...mine.map((result) => result.ratio)), Math.max(...mine.map((result) => result.ratio))],
      failed: median(mine.map((result) => result.failed)),
      provider_requests: median(mine.map((result) => result.providerRequests)),
      share_429: median(mine.map((result) => result.share429)),
    };
  });
  process.stdout.write(
    `${JSON.stringify({ jobs, keys: keyCount, rpm, minuteMs, latencyMs, workers: workerCount, theoretical_s: Math.round(theoreticalSeconds * 100) / 100, summary })}\n`,
  );
}

await main();
process.exit(0);
