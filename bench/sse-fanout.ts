// Server-Sent Events fan-out: 1,000 clients follow one job on GET /v1/jobs/:id/events through a
// listening `mediagate start`; how long after an event reaches Redis does each client have it?
//
//   npx tsx bench/sse-fanout.ts [--subscribers 1000] [--latency 12000] [--database postgres|pglite]
//
// The job is a simulated video that reports progress for --latency ms. This process subscribes to
// the same Redis event feed the server does: the moment it sees an event there is the event's
// start; each client's clock stops when the frame with that event's id arrives. Only events
// published after every client's stream was open count.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { EventBus, createRedis } from '@mediagate/engine';
import { startSimulatedServer } from '@mediagate/providers';
import { cpuMs, quantile, round, startServer, type BenchServer } from './server.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    latency: { type: 'string', default: '12000' },
    database: { type: 'string', default: 'postgres' },
    port: { type: 'string', default: '7982' },
  },
});
const subscriberCount = Number(values.subscribers);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** One SSE client: when each event id arrived, and when its stream ended. */
function subscribe(server: BenchServer, agent: http.Agent, jobId: string, arrivals: Map<number, number>[], index: number): Promise<void> {
  const seen = new Map<number, number>();
  arrivals[index] = seen;
  return new Promise((resolve, reject) => {
    const url = new URL(`/v1/jobs/${jobId}/events`, server.origin);
    const request = http.get(url, { agent, headers: { accept: 'text/event-stream', ...server.headers } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`subscriber ${index}: ${response.statusCode}`));
        response.resume();
        return;
      }
      resolve();
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const at = performance.now();
        buffered += chunk;
        let end = buffered.indexOf('\n\n');
        while (end !== -1) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const id = /^id: (\d+)$/m.exec(frame)?.[1];
          if (id !== undefined) seen.set(Number(id), at);
          end = buffered.indexOf('\n\n');
        }
      });
    });
    request.on('error', reject);
  });
}

async function main(): Promise<void> {
  const simulated = await startSimulatedServer();
  const server = await startServer({ port: Number(values.port), database: values.database === 'pglite' ? 'pglite' : 'postgres', simulatedUrl: simulated.url });
  const publisher = createRedis(redisUrl);
  const bus = new EventBus(publisher, redisUrl, server.prefix);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    const published = new Map<number, number>();
    let jobId = '';
    let terminalSeq: number | undefined;
    const early: { seq: number; at: number; jobId: string }[] = [];
    const unsubscribe = await bus.onEvent((message) => {
      const at = performance.now();
      if (jobId === '') early.push({ seq: message.seq, at, jobId: message.jobId });
      else if (message.jobId === jobId) published.set(message.seq, at);
      if (['succeeded', 'failed', 'canceled'].includes(message.type)) terminalSeq = message.seq;
    });
    const created = await fetch(`${server.origin}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...server.headers },
      body: JSON.stringify({ kind: 'video', prompt: 'fan-out', model: 'simulated/video', params: { simulate: { latency_ms: Number(values.latency), progress_steps: 40 } } }),
    });
    const job = (await created.json()) as { id: string };
    if (created.status !== 201) throw new Error(`POST /v1/jobs answered ${created.status}: ${JSON.stringify(job)}`);
    jobId = job.id;
    for (const event of early) if (event.jobId === jobId) published.set(event.seq, event.at);

    const arrivals: Map<number, number>[] = [];
    const connectStarted = performance.now();
    // Opened in waves so the listen backlog never overflows.
    for (let first = 0; first < subscriberCount; first += 100) {
      await Promise.all(Array.from({ length: Math.min(100, subscriberCount - first) }, (_, offset) => subscribe(server, agent, jobId, arrivals, first + offset)));
    }
    const allOpen = performance.now();
    const cpuBefore = await cpuMs(server.process.pid ?? 0);

    // Until the terminal event is everywhere (or a minute after it was published).
    const deadline = Date.now() + Number(values.latency) + 120_000;
    for (;;) {
      const end = terminalSeq;
      if ((end !== undefined && arrivals.every((seen) => seen.has(end))) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const serverCpu = (await cpuMs(server.process.pid ?? 0)) - cpuBefore;

    const counted = [...published].filter(([, at]) => at > allOpen).sort((a, b) => a[0] - b[0]);
    const deliveries: number[] = [];
    const lastClient: number[] = [];
    let missing = 0;
    for (const [seq, at] of counted) {
      let slowest = 0;
      for (const seen of arrivals) {
        const arrived = seen.get(seq);
        if (arrived === undefined) {
          missing++;
          continue;
        }
        deliveries.push(arrived - at);
        slowest = Math.max(slowest, arrived - at);
      }
      lastClient.push(slowest);
    }
    deliveries.sort((a, b) => a - b);
    lastClient.sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        scenario: `sse fan-out, ${subscriberCount} subscribers, ${values.database}`,
        connectSeconds: round((allOpen - connectStarted) / 1000),
        events: counted.length,
        deliveries: deliveries.length,
        missing,
        deliveryMs: { p50: round(quantile(deliveries, 0.5)), p99: round(quantile(deliveries, 0.99)), max: round(deliveries.at(-1) ?? NaN) },
        lastSubscriberMs: { p50: round(quantile(lastClient, 0.5)), max: round(lastClient.at(-1) ?? NaN) },
        serverCpuMsPerEvent: round(serverCpu / Math.max(1, counted.length)),
      })}\n`,
    );
    await unsubscribe();
  } finally {
    agent.destroy();
    await publisher.quit();
    await server.stop();
    await simulated.close();
  }
}

await main();
