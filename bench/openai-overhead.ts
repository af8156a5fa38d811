// What Mediagate adds to an image request: POST /v1/images/generations through a listening
// `mediagate start` (job row, queue, worker, provider call, output check, asset write, answer)
// against POSTing the same request to the simulated provider's own HTTP endpoint, side by side.
// With PostgreSQL a third path, the floor (bench/floor-server.ts), does only what the route's
// promise needs (a job row, the provider call, the object written and flushed, the row completed)
// with the same libraries and none of Mediagate: it shows what the machine charges for that work
// in the same run, and what Mediagate's own machinery costs above it.
//
//   npx tsx bench/openai-overhead.ts [--requests 400] [--warmup 1000] [--database postgres|pglite] [--size 64]
//
// Every path gets the same image (the simulated provider at 0 ms latency) over keep-alive
// connections from undici pools, each request with a prompt of its own, so every output is new
// bytes. At each concurrency level every path first gets --warmup requests that are left out of
// every figure (the servers' hot paths are compiled by then, as in a server that has been up for
// a while); then the measured requests run in two halves, direct, floor, Mediagate and then
// direct, Mediagate, floor.
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startSimulatedServer } from '@mediagate/providers';
import { cpuMs, quantile, round, startFloorServer, startServer, type FloorServer } from './server.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400' },
    warmup: { type: 'string', default: '1000' },
    database: { type: 'string', default: 'postgres' },
    port: { type: 'string', default: '7981' },
    'floor-port': { type: 'string', default: '7982' },
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
  /** The server process whose CPU the path's figures include, if any. */
  pid?: number;
  send(index: number): Promise<void>;
}

/**
 * Requests sent so far, over every run: each request's prompt carries its own number, so every
 * output is new bytes (the simulated provider's image follows its prompt) and no store may skip
 * a write because an earlier run, warm-up included, already stored the same image.
 */
let sent = 0;

/** `count` requests with at most `concurrency` in flight; latencies in ms, ascending. */
async function run(path: Path, concurrency: number, count: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        const index = sent++;
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
  let floorServer: FloorServer | undefined;
  try {
    if (values.database === 'postgres') floorServer = await startFloorServer({ port: Number(values['floor-port']), simulatedUrl: simulated.url });
  } catch (error) {
    await server.stop();
    await simulated.close();
    throw error;
  }
  const maxConcurrency = Math.max(...levels);
  const imageRequest = (origin: string, headers: Record<string, string>): Path => ({
    name: '',
    pool: new Pool(origin, { connections: maxConcurrency, keepAliveTimeout: 30_000 }),
    async send(index) {
      const response = await this.pool.request({
        path: '/v1/images/generations',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: 'simulated/image', prompt: `overhead ${index}`, size: `${size}x${size}`, response_format: 'b64_json' }),
      });
      const body = (await response.body.json()) as { data?: { b64_json?: string }[] };
      if (response.statusCode !== 200 || !body.data?.[0]?.b64_json) throw new Error(`${this.name} answered ${response.statusCode}: ${JSON.stringify(body).slice(0, 300)}`);
    },
  });
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
  const floor: Path | undefined = floorServer && { ...imageRequest(floorServer.origin, {}), name: 'floor', pid: floorServer.process.pid };
  const mediagate: Path = { ...imageRequest(server.origin, server.headers), name: 'mediagate', pid: server.process.pid };
  const paths = floor ? [direct, floor, mediagate] : [direct, mediagate];

  try {
    await measure(paths);
  } finally {
    for (const path of paths) await path.pool.close();
    await server.stop();
    await floorServer?.stop();
    await simulated.close();
  }
}

const figures = (latencies: number[]) => ({ p50: round(quantile(latencies, 0.5)), p99: round(quantile(latencies, 0.99)) });

async function measure(paths: Path[]): Promise<void> {
  const rows = [];
  for (const concurrency of levels) {
    const count = Math.max(requests, concurrency * 20);
    const measured: Record<string, number[]> = {};
    const cpu: Record<string, number> = {};
    for (const path of paths) if (warmup > 0) await run(path, concurrency, warmup); // JIT, pools, caches
    // Two halves, the servers' order swapped in the second, so neither always runs right after
    // the other (whose WAL writes and checkpoints may still be going on).
    for (const order of [paths, [paths[0] as Path, ...paths.slice(1).reverse()]]) {
      for (const path of order) {
        const cpuBefore = path.pid === undefined ? 0 : await cpuMs(path.pid);
        const latencies = await run(path, concurrency, Math.ceil(count / 2));
        measured[path.name] = [...(measured[path.name] ?? []), ...latencies];
        if (path.pid !== undefined) cpu[path.name] = (cpu[path.name] ?? 0) + (await cpuMs(path.pid)) - cpuBefore;
      }
    }
    for (const latencies of Object.values(measured)) latencies.sort((x, y) => x - y);
    const cpuPerRequest = (name: string) => (cpu[name] ?? NaN) / (measured[name]?.length ?? NaN);
    const [a, b, f] = [measured.direct ?? [], measured.mediagate ?? [], measured.floor];
    rows.push({
      concurrency,
      requests: b.length,
      warmup,
      directMs: figures(a),
      mediagateMs: figures(b),
      overheadP50Ms: round(quantile(b, 0.5) - quantile(a, 0.5)),
      overheadP99Ms: round(quantile(b, 0.99) - quantile(a, 0.99)),
      ratioP50: round(quantile(b, 0.5) / quantile(a, 0.5)),
      serverCpuMsPerRequest: round(cpuPerRequest('mediagate')),
      ...(f && {
        floorMs: figures(f),
        floorOverheadP50Ms: round(quantile(f, 0.5) - quantile(a, 0.5)),
        aboveFloorP50Ms: round(quantile(b, 0.5) - quantile(f, 0.5)),
        floorCpuMsPerRequest: round(cpuPerRequest('floor')),
      }),
    });
  }
  process.stdout.write(`${JSON.stringify({ scenario: `openai images overhead, ${values.database}, ${size}x${size}`, rows })}\n`);
}

await main();
