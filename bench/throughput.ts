// End-to-end throughput of `mediagate start` (API + workers in one process, embedded PGlite by
// default) against the simulated provider, and the peak RSS of that process.
//
//   npx tsx bench/throughput.ts [--jobs 3000] [--latency 0] [--in-flight 1000] [--database pglite|postgres] [--warmup 1000]
//
// The simulated provider and the load generator run in this process; the server runs as a child
// process, exactly as a user starts it. Jobs are POSTed to /v1/jobs with at most --in-flight
// unfinished at once; completions arrive on the Redis event feed. The measured jobs follow
// --warmup jobs run the same way and waited for, which are left out of every figure.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { EventBus, createRedis } from '@mediagate/engine';
import { startSimulatedServer } from '@mediagate/providers';
import { createTestDatabase } from '../test/support/postgres.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '3000' },
    latency: { type: 'string', default: '0' },
    'in-flight': { type: 'string', default: '1000' },
    database: { type: 'string', default: 'pglite' },
    port: { type: 'string', default: '7979' },
    keep: { type: 'boolean', default: false },
    senders: { type: 'string', default: '64' },
    /** Jobs run (and waited for) before the measured ones, not counted. */
    warmup: { type: 'string', default: '1000' },
    /**
     * Worker slots for the simulated provider (MEDIAGATE_CONCURRENCY_SIMULATED). The default leaves
     * concurrency out of the way: --in-flight jobs, plus the ones whose POST is still under way
     * (one per sender), plus the slot a queue's worker always keeps for itself.
     */
    concurrency: { type: 'string' },
  },
});
const jobs = Number(values.jobs);
const latencyMs = Number(values.latency);
const inFlight = Number(values['in-flight']);
const warmup = Number(values.warmup);
const port = Number(values.port);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `mgbench-${process.pid}`;

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** User + system CPU seconds a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds all cores of this machine have spent busy so far (everything but idle and iowait). */
async function machineBusySeconds(): Promise<number> {
  const [user, nice, system, , , irq, softirq, steal] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/** CPU seconds the Redis server has used so far, as its INFO says. */
async function redisCpuSeconds(redis: ReturnType<typeof createRedis>): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function main(): Promise<void> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'mediagate-bench-'));
  const simulated = await startSimulatedServer();
  const database = values.database === 'postgres' ? await createTestDatabase() : undefined;
  const cli = fileURLToPath(new URL('../apps/cli/bin/mediagate.js', import.meta.url));
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const server = spawn(process.execPath, [...nodeArgs, cli, 'start'], {
    env: {
      ...process.env,
      PORT: String(port),
      MEDIAGATE_HOME: home,
      MEDIAGATE_QUEUE_PREFIX: prefix,
      MEDIAGATE_SIMULATED_URL: simulated.url,
      MEDIAGATE_CONCURRENCY_SIMULATED: values.concurrency ?? String(Math.max(inFlight + Number(values.senders) + 1, 100)),
      LOG_LEVEL: 'warn',
      ...(database ? { DATABASE_URL: database.url } : {}),
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (text.includes('mediagate start:')) resolve();
      else process.stderr.write(text);
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  // `mediagate start` writes a tenant key for the local CLI; every /v1 route asks for one.
  const key = await readFile(path.join(home, 'api-key'), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  // undici's pool rather than fetch: the load generator shares the machine, so keep it cheap.
  const client = new Pool(`http://127.0.0.1:${port}`, { connections: Number(values.senders), keepAliveTimeout: 30_000 });
  const publisher = createRedis(redisUrl);
  const bus = new EventBus(publisher, redisUrl, prefix);
  const body = (index: number) =>
    JSON.stringify({ kind: 'image', prompt: `bench ${index}`, model: 'simulated/image', params: { width: 64, height: 64, simulate: { latency_ms: latencyMs } } });

  /** What one run of jobs measured. */
  interface Phase {
    latencies: number[];
    finishedAt: number[];
    lastSentAt: number;
    failed: number;
  }
  let finish: (jobId: string, at: number, ok: boolean) => void = () => {};
  const unsubscribe = await bus.onEvent((message) => {
    if (message.type !== 'succeeded' && message.type !== 'failed' && message.type !== 'canceled') return;
    finish(message.jobId, performance.now(), message.type === 'succeeded');
  });
  /** One run of `count` jobs with at most --in-flight unfinished; resolves when all have finished. */
  async function phase(count: number, firstIndex: number): Promise<Phase> {
    const result: Phase = { latencies: [], finishedAt: [], lastSentAt: 0, failed: 0 };
    const submittedAt = new Map<string, number>();
    // At 0 ms latency a job can finish before its POST answer arrives: remember those.
    const finishedEarly = new Map<string, { at: number; ok: boolean }>();
    const waiters: (() => void)[] = [];
    let finished = 0;
    let allDone: () => void = () => {};
    const done = new Promise<void>((resolve) => (allDone = resolve));
    finish = (jobId, at, ok) => {
      const sentAt = submittedAt.get(jobId);
      if (sentAt === undefined) {
        finishedEarly.set(jobId, { at, ok });
        return;
      }
      submittedAt.delete(jobId);
      result.latencies.push(at - sentAt);
      result.finishedAt.push(at);
      finished += 1;
      if (!ok) result.failed += 1;
      waiters.shift()?.();
      if (finished === count) allDone();
    };
    let sent = 0;
    const senders = Array.from({ length: Number(values.senders) }, async () => {
      while (sent < count) {
        while (submittedAt.size >= inFlight) await new Promise<void>((resolve) => waiters.push(resolve));
        // Another sender may have taken the last job while this one waited for a slot.
        if (sent >= count) break;
        const index = firstIndex + sent++;
        const at = performance.now();
        result.lastSentAt = at;
        const response = await client.request({ path: '/v1/jobs', method: 'POST', headers, body: body(index) });
        const job = (await response.body.json()) as { id: string };
        if (response.statusCode !== 201) throw new Error(`POST /v1/jobs answered ${response.statusCode}: ${JSON.stringify(job)}`);
        submittedAt.set(job.id, at);
        const early = finishedEarly.get(job.id);
        if (early) {
          finishedEarly.delete(job.id);
          finish(job.id, early.at, early.ok);
        }
      }
    });
    await Promise.all(senders);
    await done;
    return result;
  }

  // Not measured: the server's code gets compiled and its pools filled, as in any long-running one.
  if (warmup > 0) await phase(warmup, jobs);
  const started = performance.now();
  const cpuBefore = await cpuSeconds(server.pid ?? 0);
  const machineBefore = await machineBusySeconds();
  const redisBefore = await redisCpuSeconds(publisher);
  const ownCpuBefore = process.cpuUsage();
  const submitsBefore = simulated.stats().submits;
  const { latencies, finishedAt, lastSentAt, failed } = await phase(jobs, 0);
  const seconds = (performance.now() - started) / 1000;
  // The steady part of the run: from the first wave's end (the in-flight-th completion) until the
  // last job was sent, after which fewer than --in-flight jobs are left to run.
  finishedAt.sort((a, b) => a - b);
  const steadyFrom = finishedAt[Math.min(inFlight, finishedAt.length) - 1] ?? lastSentAt;
  const steadyMs = lastSentAt - steadyFrom;
  const steadyCount = finishedAt.filter((at) => at > steadyFrom && at <= lastSentAt).length;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]?.toFixed(0);
  const rss = await peakRssMb(server.pid ?? 0);
  const serverCpu = (await cpuSeconds(server.pid ?? 0)) - cpuBefore;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const machineCpu = (await machineBusySeconds()) - machineBefore;
  const redisCpu = (await redisCpuSeconds(publisher)) - redisBefore;
  const result = {
    scenario: `latency ${latencyMs} ms, ${inFlight} in flight, ${values.database}`,
    jobs,
    warmup,
    failed,
    seconds: Number(seconds.toFixed(2)),
    jobsPerSecond: Number((jobs / seconds).toFixed(0)),
    steadyJobsPerSecond: steadyMs >= 1000 ? Number(((steadyCount * 1000) / steadyMs).toFixed(0)) : null,
    latencyMs: { p50: Number(pick(0.5)), p99: Number(pick(0.99)) },
    serverPeakRssMb: Number(rss.toFixed(0)),
    serverCpuMsPerJob: Number(((serverCpu * 1000) / jobs).toFixed(2)),
    loadAndProviderCpuMsPerJob: Number(((ownCpu.user + ownCpu.system) / 1000 / jobs).toFixed(2)),
    redisCpuMsPerJob: Number(((redisCpu * 1000) / jobs).toFixed(2)),
    // Every process on the machine: the above, PostgreSQL, the kernel's network stack, and anything
    // else running meanwhile (so only meaningful on a quiet machine).
    machineCpuMsPerJob: Number(((machineCpu * 1000) / jobs).toFixed(2)),
    machineBusyCores: Number((machineCpu / seconds).toFixed(2)),
    providerSubmits: simulated.stats().submits - submitsBefore,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await unsubscribe();
  await client.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await publisher.quit();
  await simulated.close();
  if (values.keep) {
    process.stderr.write(`kept: MEDIAGATE_HOME=${home}${database ? ` DATABASE_URL=${database.url}` : ''}\n`);
    return;
  }
  await database?.drop();
  await rm(home, { recursive: true, force: true });
}

await main();
