// BullMQ alone, as a floor for bench/throughput.ts: one Worker with the same concurrency runs
// jobs that only sleep for the provider latency, with the same number in flight.
//
//   npx tsx bench/bullmq-baseline.ts [--jobs 5000] [--latency 1000] [--in-flight 1000]
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { createRedis } from '@mediagate/engine';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '5000' },
    latency: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '1000' },
  },
});
const jobs = Number(values.jobs);
const latencyMs = Number(values.latency);
const inFlight = Number(values['in-flight']);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const name = `mgbaseline-${process.pid}`;

const queue = new Queue(name, { connection: createRedis(redisUrl) });
const waits: number[] = [];
let done = 0;
const worker = new Worker(
  name,
  async (job) => {
    waits.push(Date.now() - job.timestamp);
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
  },
  { connection: createRedis(redisUrl), concurrency: inFlight },
);
worker.on('completed', () => {
  done += 1;
});
const started = performance.now();
for (let index = 0; index < jobs; index++) {
  while (index - done >= inFlight) await new Promise((resolve) => setTimeout(resolve, 5));
  await queue.add('job', { index }, { removeOnComplete: true });
}
while (done < jobs) await new Promise((resolve) => setTimeout(resolve, 10));
const seconds = (performance.now() - started) / 1000;
waits.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    scenario: `BullMQ only, latency ${latencyMs} ms, ${inFlight} in flight`,
    jobs,
    jobsPerSecond: Math.round(jobs / seconds),
    queueWaitMs: { p50: waits[Math.floor(jobs / 2)], p99: waits[Math.floor(jobs * 0.99)] },
  })}\n`,
);
await worker.close();
await queue.obliterate({ force: true });
await queue.close();
process.exit(0);
