// Live progress across processes: the API process runs no workers, a `mediagate worker` process
// runs the job, and both SSE routes of the API still carry every event as it happens. The events
// reach the API only through Redis (the tenant stream never reads the database), so this is the
// path a deployment with separate API and worker processes depends on.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../apps/api/src/index.ts';
import { SseClient, type Frame } from '../apps/api/src/sse-test-client.ts';
import { bearer, buildTestApi } from '../apps/api/src/test-support.ts';
import { killChildren, workerEnv } from './support/children.ts';
import { createHarness, type Harness } from './support/harness.ts';

const cli = fileURLToPath(new URL('../apps/cli/bin/mediagate.js', import.meta.url));
let harness: Harness;
let app: FastifyInstance;
let baseUrl: string;
let auth: { authorization: string };
const children: ChildProcess[] = [];

/** What the worker wrote on stderr, shown by an assertion that fails. */
let workerOutput = '';

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [cli, 'worker', '--providers', 'simulated'], {
    env: workerEnv(harness),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  children.push(child);
  return child;
}

beforeAll(async () => {
  harness = await createHarness({ workers: false });
  const api = await buildTestApi(harness.runtime);
  app = api.app;
  auth = bearer(api.apiKey);
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await killChildren(children);
  await app?.close();
  await harness?.close();
});

describe('events of a job run by another process', () => {
  it('reach the job stream and the tenant stream live, each once, as the database records them', async () => {
    const tenantStream = await SseClient.open(`${baseUrl}/v1/events`, auth);
    const response = await fetch(`${baseUrl}/v1/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'image',
        prompt: 'Progress from the fleet',
        model: 'simulated/image-async',
        params: { width: 96, height: 64, simulate: { latency_ms: 3000, progress_steps: 3 } },
      }),
    });
    expect(response.status).toBe(201);
    const job = (await response.json()) as JobView;
    // No worker anywhere yet, and this process runs none: the job waits in its queue.
    expect(job.status).toBe('queued');
    const jobStream = await SseClient.open(`${baseUrl}/v1/jobs/${job.id}/events`, auth);
    await jobStream.until((frames) => frames.length >= 1);
    expect(jobStream.frames.map((frame) => frame.event)).toEqual(['queued']);

    startWorker();
    const ofJob = (frames: Frame[]) => frames.filter((frame) => frame.id?.startsWith(`${job.id}:`));
    // Live: the first progress reaches both streams while the job is still running (progress
    // comes a second apart, and the job stream's own database reads are 15 s apart).
    const progressed = (frames: Frame[]) => frames.some((frame) => frame.event === 'progress');
    await Promise.all([tenantStream.until((frames) => progressed(ofJob(frames))), jobStream.until(progressed)]);
    expect((await harness.runtime.repo.getJob(job.id))?.status, workerOutput).toBe('running');
    await jobStream.done;
    await tenantStream.until((frames) => ofJob(frames).some((frame) => frame.event === 'succeeded'));
    tenantStream.close();

    const recorded = (await harness.runtime.repo.listEvents(job.id, 0)).map((event) => ({ seq: event.seq, event: event.type }));
    expect(recorded.at(-1)?.event).toBe('succeeded');
    expect(recorded.filter((event) => event.event === 'progress').length).toBeGreaterThanOrEqual(1);
    // Every event after the first came while the stream was open: from the worker, through Redis.
    expect(jobStream.frames.map((frame) => ({ seq: Number(frame.id), event: frame.event }))).toEqual(recorded);
    // The tenant stream replays nothing, so all it has it heard live; it missed nothing after it opened.
    expect(ofJob(tenantStream.frames).map((frame) => ({ seq: Number(frame.id?.slice(job.id.length + 1)), event: frame.event }))).toEqual(recorded);
    expect((await harness.runtime.repo.getJob(job.id))?.status).toBe('succeeded');
  });
});
