// What Mediagate adds to an image request: POST /v1/images/generations through a listening
// `mediagate start` (job row, queue, worker, provider call, output check, asset write, answer)
// against POSTing the same request to the simulated provider's own HTTP endpoint, side by side.
//
//   npx tsx bench/openai-overhead.ts [--requests 400] [--warmup 1000] [--database postgres|pglite] [--size 64]
//
// Both paths get the same image (the simulated provider at 0 ms latency) over keep-alive
// connections from undici pools; each concurrency level runs direct, then Mediagate, each after
// --warmup requests of its own that are left out of every figure (the server's hot paths are
// compiled by then, as in a server that has been up for a while).
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startSimulatedServer } from '@mediagate/providers';
import { cpuMs, quantile, round, startServer } from './server.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '1000' },
    database: { type: 'string', default: 'postgres' },
    port: { type: 'string', default: '7981' },
    size: { type: 'string', default: '64' },
    concurrency: { type: 'string', default: '1,64' },
  },
});
const requests = Number(values.requests);
const size = Number(values.size);
const warmup = Number(values.warmup);
const levels = values.concurrency.split(',').map(Number);

interface Path {
  name: string;
  pool: Pool;
  send(index: number): Promise<void>;
}

/** `requests` requests with at most `concurrency` in flight; latencies in ms, ascending. */
async function run(path: Path, concurrency: number, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const started = performance.now();
        await path.send(index);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const simulated = await startSimulatedServer();
  const server = await startServer({
    port: Number(values.port),
    database: values.database === 'pglite' ? 'pglite' : 'postgres',
    simulatedUrl: simulated.url,
    env: { MEDIAGATE_OPENAI_IMAGE_MODEL: 'simulated/image', MEDIAGATE_CONCURRENCY_SIMULATED: '128' },
  });
  const maxConcurrency = Math.max(...levels);
  const direct: Path = {
    name: 'direct',
    pool: new Pool(simulated.url, { connections: maxConcurrency, keepAliveTimeout: 30_000 }),
    async send(index) {
      const response = await this.pool.request({
        path: '/v1/generate',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'image', prompt: `overhead ${index}`, params: { width: size, height: size } }),
      });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      if (response.statusCode !== 200 || bytes.length === 0) throw new Error(`simulated provider answered ${response.statusCode}`);
    },
  };
  const mediagate: Path = {
    name: 'mediagate',
    pool: new Pool(server.origin, { connections: maxConcurrency, keepAliveTimeout: 30_000 }),
    async send(index) {
      const response = await this.pool.request({
        path: '/v1/images/generations',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...server.headers },
        body: JSON.stringify({ model: 'simulated/image', prompt: `overhead ${index}`, size: `${size}x${size}`, response_format: 'b64_json' }),
      });
      const body = (await response.body.json()) as { data?: { b64_json?: string }[] };
      if (response.statusCode !== 200 || !body.data?.[0]?.b64_json) throw new Error(`Mediagate answered ${response.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
    },
  };

  try {
    await measure(server.process.pid ?? 0, direct, mediagate);
  } finally {
    await direct.pool.close();
    await mediagate.pool.close();
    await server.stop();
    await simulated.close();
  }
}

async function measure(serverPid: number, direct: Path, mediagate: Path): Promise<void> {
  const rows = [];
  for (const concurrency of levels) {
    const count = Math.max(requests, concurrency * 20);
    const measured: Record<string, number[]> = {};
    let serverCpuMsPerRequest = NaN;
    for (const path of [direct, mediagate]) {
      if (warmup > 0) await run(path, concurrency, warmup); // JIT, pools, caches
      const cpuBefore = await cpuMs(serverPid);
      measured[path.name] = await run(path, concurrency, count);
      if (path === mediagate) serverCpuMsPerRequest = ((await cpuMs(serverPid)) - cpuBefore) / count;
    }
    const [a, b] = [measured.direct ?? [], measured.mediagate ?? []];
    rows.push({
      concurrency,
      requests: count,
      warmup,
      directMs: { p50: round(quantile(a, 0.5)), p99: round(quantile(a, 0.99)) },
      mediagateMs: { p50: round(quantile(b, 0.5)), p99: round(quantile(b, 0.99)) },
      overheadP50Ms: round(quantile(b, 0.5) - quantile(a, 0.5)),
      overheadP99Ms: round(quantile(b, 0.99) - quantile(a, 0.99)),
      ratioP50: round(quantile(b, 0.5) / quantile(a, 0.5)),
      serverCpuMsPerRequest: round(serverCpuMsPerRequest),
    });
  }
  process.stdout.write(`${JSON.stringify({ scenario: `openai images overhead, ${values.database}, ${size}x${size}`, rows })}\n`);
}

await main();
