// Jobs run in the process that accepted them (run-here.ts): at once, with a delayed queue entry
// behind each run that the fleet takes over when the process dies, and that is removed, or
// becomes the retry, when the run ends here.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelJob, defaultTenantId, queueJobId, submitOrReplayJob, type QueuePayload, type Runtime } from '@mediagate/engine';
import { WorkerSlots } from '@mediagate/worker';
import { createHarness, type Harness } from './support/harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const image = (prompt: string, simulate: Record<string, number | string> = {}) => ({
  kind: 'image' as const,
  prompt,
  model: 'simulated/image',
  params: { width: 64, height: 64, simulate },
});

async function entryState(runtime: Runtime, jobId: string, targetIndex = 0): Promise<string | undefined> {
  const entry = await runtime.queues.queue('simulated').getJob(queueJobId(jobId, targetIndex));
  return entry === undefined ? undefined : entry.getState();
}

/** Polls until `check` holds (the queue is updated just after a run here answers). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('running a job in the process that accepted it', () => {
  it('runs at once with one submit, and leaves nothing in the queue', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('here'), { runHere: true });
    expect(submitted.ran).toBeDefined();
    // Behind the run: a delayed entry, due after the attempt's time limit and a lock's length.
    expect(await entryState(runtime, submitted.job.id)).toBe('delayed');
    const outcome = await submitted.ran;
    expect(outcome).toMatchObject({ type: 'done', succeeded: true });
    const job = await runtime.repo.getJob(submitted.job.id);
    expect(job?.status).toBe('succeeded');
    // The run answers with the outputs as stored: the same rows the database holds.
    const stored = await runtime.repo.listJobAssets(submitted.job.id);
    expect(outcome?.type === 'done' ? outcome.outputs : undefined).toEqual(stored.map(({ createdAt: _createdAt, ...asset }) => asset));
    expect((await harness.events(submitted.job.id)).map((event) => event.type)).toEqual(['queued', 'attempt', 'succeeded']);
    expect(harness.simulated.stats().submits).toBe(1);
    await eventually(async () => (await entryState(runtime, submitted.job.id)) === undefined);
  });

  it('queues as before when this process works no queue, or the caller does not wait', async () => {
    harness = await createHarness({ workers: false });
    const { runtime } = harness;
    const notHere = await submitOrReplayJob(runtime, defaultTenantId, image('no workers'), { runHere: true });
    expect(notHere.ran).toBeUndefined();
    expect(await entryState(runtime, notHere.job.id)).toBe('prioritized');
    await harness.close();

    harness = await createHarness();
    const plain = await submitOrReplayJob(harness.runtime, defaultTenantId, image('no wait'));
    expect(plain.ran).toBeUndefined();
    expect((await harness.waitFor(plain.job.id)).status).toBe('succeeded');
  });

  it('a retry becomes the entry behind the run, and the queue finishes the job', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('flaky', { fault: '500', fault_times: 1 }), { runHere: true });
    const outcome = await submitted.ran;
    expect(outcome?.type).toBe('delay');
    const job = await harness.waitFor(submitted.job.id);
    expect(job.status).toBe('succeeded');
    expect(harness.simulated.stats().submits).toBe(2);
    expect((await harness.events(submitted.job.id)).map((event) => event.type)).toEqual(['queued', 'attempt', 'retrying', 'attempt', 'succeeded']);
  });

  it('when the process dies after storing the job, the fleet runs it once the entry comes due', async () => {
    harness = await createHarness({ attemptTimeoutMs: 400, settings: { lockMs: 600 } });
    const { runtime } = harness;
    // What a dying process leaves: the job written and the entry behind its run, no run.
    const jobId = 'job_diedbeforerun0000000000';
    await runtime.repo.createJob({ id: jobId, tenantId: defaultTenantId, kind: 'image', request: { ...image('orphan'), params: { width: 64, height: 64 } }, targets: [{ provider: 'simulated', model: 'image' }] });
    const payload: QueuePayload = { jobId, targetIndex: 0, provider: 'simulated', model: 'image', pool: 'default' };
    const ticket = runtime.here?.reserve(payload, 50);
    expect(ticket).toBeDefined();
    await ticket?.enqueue();
    ticket?.release();
    await sleep(300);
    expect((await runtime.repo.getJob(jobId))?.status).toBe('queued');
    const job = await harness.waitFor(jobId, 10_000);
    expect(job.status).toBe('succeeded');
    expect(harness.simulated.stats().submits).toBe(1);
  });

  it('an entry that comes due while its run goes on here is put back, not run twice', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('slow', { latency_ms: 1500 }), { runHere: true });
    const payload: QueuePayload = { jobId: submitted.job.id, targetIndex: 0, provider: 'simulated', model: 'image', pool: 'default' };
    await runtime.queues.reschedule('simulated', payload, { delayMs: 1 });
    expect(await submitted.ran).toMatchObject({ type: 'done', succeeded: true });
    await sleep(1200);
    expect(harness.simulated.stats().submits).toBe(1);
    expect((await harness.events(submitted.job.id)).filter((event) => event.type === 'attempt')).toHaveLength(1);
  });

  it('a cancel stops a run here and removes its entry', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('cancel me', { latency_ms: 5000 }), { runHere: true });
    await eventually(async () => (await runtime.repo.getJob(submitted.job.id))?.status === 'running');
    await cancelJob(runtime, submitted.job.id);
    expect((await submitted.ran)?.type).toBe('done');
    expect((await runtime.repo.getJob(submitted.job.id))?.status).toBe('canceled');
    await eventually(async () => (await entryState(runtime, submitted.job.id)) === undefined);
  });
});

describe('WorkerSlots', () => {
  it('gives runs here only the slots the worker leaves free, always keeping one for the worker', async () => {
    const slots = new WorkerSlots();
    const worker = { concurrency: 3 };
    slots.add('simulated', 'default', 3);
    expect(slots.take('simulated', 'default')).toBe(false);
    slots.attach('simulated', 'default', worker);
    expect(slots.take('local', 'default')).toBe(false);
    expect(slots.take('simulated', 'default')).toBe(true);
    expect(worker.concurrency).toBe(2);
    expect(slots.take('simulated', 'default')).toBe(true);
    expect(worker.concurrency).toBe(1);
    expect(slots.take('simulated', 'default')).toBe(false);
    slots.give('simulated', 'default');
    slots.give('simulated', 'default');
    expect(worker.concurrency).toBe(3);

    // Two entries running in the worker leave one slot.
    const finishers: (() => void)[] = [];
    const busy = [1, 2].map(() => slots.track('simulated', 'default', () => new Promise<void>((resolve) => finishers.push(resolve))));
    expect(slots.take('simulated', 'default')).toBe(true);
    expect(slots.take('simulated', 'default')).toBe(false);
    for (const finish of finishers) finish();
    await Promise.all(busy);
    slots.give('simulated', 'default');
    expect(worker.concurrency).toBe(3);
    expect(slots.take('simulated', 'default')).toBe(true);
  });
});
