// Jobs run in the process that accepted them (run-here.ts): at once, with an entry in the
// runs-here ledger behind each run that the fleet takes over when the process dies, and that is
// removed when the run ends here (a retry goes to the queue).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HereLedger, cancelJob, defaultTenantId, queueJobId, submitOrReplayJob, type QueuePayload, type Runtime } from '@mediagate/engine';
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

/** The jobs the runs-here ledger holds an entry for. */
async function ledgerJobs(runtime: Runtime): Promise<string[]> {
  const ledger = new HereLedger(runtime.redis, runtime.queues, runtime.logger, runtime.settings.lockMs);
  return (await ledger.entries()).map(({ member }) => (JSON.parse(member) as QueuePayload).jobId);
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
    // Its first attempt was started by the insert: no claim after it.
    expect(submitted.job).toMatchObject({ status: 'running', lastSeq: 2 });
    // Behind the run: a ledger entry, and nothing in the queue.
    expect(await ledgerJobs(runtime)).toEqual([submitted.job.id]);
    expect(await entryState(runtime, submitted.job.id)).toBeUndefined();
    const outcome = await submitted.ran;
    expect(outcome).toMatchObject({ type: 'done', succeeded: true });
    const job = await runtime.repo.getJob(submitted.job.id);
    expect(job?.status).toBe('succeeded');
    // The run answers with the outputs as stored: the same rows the database holds.
    const stored = await runtime.repo.listJobAssets(submitted.job.id);
    expect(outcome?.type === 'done' ? outcome.outputs : undefined).toEqual(stored.map(({ createdAt: _createdAt, ...asset }) => asset));
    expect((await harness.events(submitted.job.id)).map((event) => event.type)).toEqual(['queued', 'attempt', 'succeeded']);
    expect(harness.simulated.stats().submits).toBe(1);
    await eventually(async () => (await ledgerJobs(runtime)).length === 0);
    expect(await entryState(runtime, submitted.job.id)).toBeUndefined();
  });

  it('commits the insert asynchronously only for a caller that waits for the end (the OpenAI synchronous routes)', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const creates = vi.spyOn(runtime.repo, 'createJob');
    const awaited = await submitOrReplayJob(runtime, defaultTenantId, image('awaited'), { runHere: true, awaited: true });
    const plain = await submitOrReplayJob(runtime, defaultTenantId, image('answered at once'), { runHere: true });
    expect(creates.mock.calls.map(([job]) => [job.id, job.asyncCommit])).toEqual([
      [awaited.job.id, true],
      [plain.job.id, undefined],
    ]);
    expect(await awaited.ran).toMatchObject({ type: 'done', succeeded: true });
    expect(await plain.ran).toMatchObject({ type: 'done', succeeded: true });
    expect((await runtime.repo.getJob(awaited.job.id))?.status).toBe('succeeded');
  });

  it("commits the job's end while its outputs flush, and reports the end only once both are done", async () => {
    harness = await createHarness();
    const { runtime } = harness;
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const put = runtime.store.put.bind(runtime.store);
    const puts = vi.spyOn(runtime.store, 'put').mockImplementation(async (source, options) => {
      const stored = await put(source, options);
      return stored.flushed ? { ...stored, flushed: stored.flushed.then(() => gate) } : stored;
    });
    const live: string[] = [];
    const stop = await runtime.bus.onEvent((event) => live.push(event.type));
    try {
      const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('flushed after'), { runHere: true, awaited: true });
      let ended = false;
      void submitted.ran?.then(() => (ended = true));
      await eventually(async () => (await runtime.repo.getJob(submitted.job.id))?.status === 'succeeded');
      expect(puts.mock.calls[0]?.[1]).toMatchObject({ flushLater: true });
      await sleep(50);
      expect(ended).toBe(false);
      expect(live).not.toContain('succeeded');
      openGate();
      expect(await submitted.ran).toMatchObject({ type: 'done', succeeded: true });
      await eventually(async () => live.includes('succeeded'));
    } finally {
      await stop();
    }
  });

  it('starts the first attempt in the insert only when a key is free at once, and leaves no key taken otherwise', async () => {
    harness = await createHarness({
      simulated: { keys: { solo: {} } },
      config: { providers: { simulated: { pools: { default: { keys: [{ id: 'solo', secret: 'solo', limits: { concurrency: 1 } }] } } } } },
    });
    const { runtime } = harness;
    const slow = await submitOrReplayJob(runtime, defaultTenantId, image('slow', { latency_ms: 600 }), { runHere: true });
    expect(slow.job.status).toBe('running');
    expect((await runtime.repo.listAttempts(slow.job.id))[0]).toMatchObject({ number: 1, keyId: 'solo', status: 'submitting' });
    // The key's one slot is taken: this job is written queued, and its run claims it once the slot frees.
    const waiting = await submitOrReplayJob(runtime, defaultTenantId, image('waiting'), { runHere: true });
    expect(waiting.job.status).toBe('queued');
    expect(await runtime.repo.listAttempts(waiting.job.id)).toEqual([]);
    expect((await harness.waitFor(slow.job.id)).status).toBe('succeeded');
    expect((await harness.waitFor(waiting.job.id)).status).toBe('succeeded');
    expect(harness.simulated.stats().submits).toBe(2);
  });

  it('gives back the key picked for an insert that a racing request with the same idempotency key won', async () => {
    const pair = { concurrency: 2 };
    harness = await createHarness({
      simulated: { keys: { pair: {} } },
      config: { providers: { simulated: { pools: { default: { keys: [{ id: 'pair', secret: 'pair', limits: pair }] } } } } },
    });
    const { runtime } = harness;
    const racing = await Promise.all(
      ['a', 'b'].map(() => submitOrReplayJob(runtime, defaultTenantId, image('once', { latency_ms: 300 }), { runHere: true, idempotencyKey: 'run-here-once' })),
    );
    expect(racing.filter((outcome) => outcome.created)).toHaveLength(1);
    expect(new Set(racing.map((outcome) => outcome.job.id)).size).toBe(1);
    await Promise.all(racing.map((outcome) => outcome.ran));
    expect(await runtime.repo.listAttempts(racing[0]?.job.id ?? '')).toHaveLength(1);
    // Both of the key's slots are free again: two new jobs both start in their inserts.
    const next = await Promise.all(['c', 'd'].map((prompt) => submitOrReplayJob(runtime, defaultTenantId, image(prompt), { runHere: true })));
    expect(next.map((outcome) => outcome.job.status)).toEqual(['running', 'running']);
    await Promise.all(next.map((outcome) => outcome.ran));
    expect(harness.simulated.stats().submits).toBe(3);
  });

  it('queues as before when this process works no queue, or the caller does not wait', async () => {
    harness = await createHarness({ workers: false });
    const { runtime } = harness;
    const notHere = await submitOrReplayJob(runtime, defaultTenantId, image('no workers'), { runHere: true });
    expect(notHere.ran).toBeUndefined();
    expect(await entryState(runtime, notHere.job.id)).toBe('prioritized');
    expect(await ledgerJobs(runtime)).toEqual([]);
    await harness.close();

    harness = await createHarness();
    const plain = await submitOrReplayJob(harness.runtime, defaultTenantId, image('no wait'));
    expect(plain.ran).toBeUndefined();
    expect((await harness.waitFor(plain.job.id)).status).toBe('succeeded');
  });

  it('a retry goes to the queue, the ledger lets go, and the queue finishes the job', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('flaky', { fault: '500', fault_times: 1 }), { runHere: true });
    const outcome = await submitted.ran;
    expect(outcome?.type).toBe('delay');
    await eventually(async () => (await ledgerJobs(runtime)).length === 0);
    const job = await harness.waitFor(submitted.job.id);
    expect(job.status).toBe('succeeded');
    expect(harness.simulated.stats().submits).toBe(2);
    expect((await harness.events(submitted.job.id)).map((event) => event.type)).toEqual(['queued', 'attempt', 'retrying', 'attempt', 'succeeded']);
  });

  it('when the process dies after storing the job, the fleet runs it once the lease runs out', async () => {
    harness = await createHarness({ attemptTimeoutMs: 400, settings: { lockMs: 600 } });
    const { runtime } = harness;
    // What a dying process leaves: the job written and the entry behind its run, no run.
    const jobId = 'job_diedbeforerun0000000000';
    await runtime.repo.createJob({ id: jobId, tenantId: defaultTenantId, kind: 'image', request: { ...image('orphan'), params: { width: 64, height: 64 } }, targets: [{ provider: 'simulated', model: 'image' }] });
    const payload: QueuePayload = { jobId, targetIndex: 0, provider: 'simulated', model: 'image', pool: 'default' };
    const ticket = runtime.here?.reserve(payload, 50);
    expect(ticket).toBeDefined();
    await ticket?.hold();
    ticket?.release();
    await sleep(300);
    expect((await runtime.repo.getJob(jobId))?.status).toBe('queued');
    expect(await ledgerJobs(runtime)).toEqual([jobId]);
    const job = await harness.waitFor(jobId, 10_000);
    expect(job.status).toBe('succeeded');
    expect(harness.simulated.stats().submits).toBe(1);
    expect(await ledgerJobs(runtime)).toEqual([]);
  });

  it('a run longer than its lease keeps it, and an entry queued meanwhile is put back, not run twice', async () => {
    harness = await createHarness({ settings: { lockMs: 600 } });
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('slow', { latency_ms: 1500 }), { runHere: true });
    // What another process's sweep would do had this one stalled: the job in its queue meanwhile.
    const payload: QueuePayload = { jobId: submitted.job.id, targetIndex: 0, provider: 'simulated', model: 'image', pool: 'default' };
    await runtime.queues.enqueue('simulated', payload);
    await sleep(1000);
    // Past the 600 ms lease, the entry is still there: this process renews it while the run goes on.
    expect(await ledgerJobs(runtime)).toEqual([submitted.job.id]);
    expect(await submitted.ran).toMatchObject({ type: 'done', succeeded: true });
    await sleep(1200);
    expect(harness.simulated.stats().submits).toBe(1);
    expect((await harness.events(submitted.job.id)).filter((event) => event.type === 'attempt')).toHaveLength(1);
    await eventually(async () => (await entryState(runtime, submitted.job.id)) === undefined);
  });

  it('a cancel stops a run here and removes its entry', async () => {
    harness = await createHarness();
    const { runtime } = harness;
    const submitted = await submitOrReplayJob(runtime, defaultTenantId, image('cancel me', { latency_ms: 5000 }), { runHere: true });
    await eventually(async () => (await runtime.repo.getJob(submitted.job.id))?.status === 'running');
    await cancelJob(runtime, submitted.job.id);
    expect((await submitted.ran)?.type).toBe('done');
    expect((await runtime.repo.getJob(submitted.job.id))?.status).toBe('canceled');
    await eventually(async () => (await ledgerJobs(runtime)).length === 0);
    expect(await entryState(runtime, submitted.job.id)).toBeUndefined();
  });
});

describe('HereLedger', () => {
  it('moves an entry whose lease ran out to its queue once, however many processes sweep', async () => {
    harness = await createHarness({ workers: false });
    const { runtime } = harness;
    const sweepers = [0, 1, 2].map(() => new HereLedger(runtime.redis, runtime.queues, runtime.logger, 200));
    const payload: QueuePayload = { jobId: 'job_leaseranout0000000000000', targetIndex: 0, provider: 'simulated', model: 'image', pool: 'default' };
    const member = HereLedger.member({ payload, priority: 7 });
    await sweepers[0]?.hold(member);
    // Not due yet: nothing moves.
    expect(await Promise.all(sweepers.map((ledger) => ledger.sweep()))).toEqual([0, 0, 0]);
    const moved = await Promise.all(sweepers.map((ledger) => ledger.sweep(Date.now() + 1000)));
    expect(moved.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await sweepers[0]?.entries()).toEqual([]);
    const entry = await runtime.queues.queue('simulated').getJob(payload.jobId);
    expect(entry?.data).toEqual(payload);
    expect(entry?.opts.priority).toBe(7);
  });

  it('never sweeps an entry whose run goes on in the sweeping process', async () => {
    harness = await createHarness({ workers: false });
    const { runtime } = harness;
    const ledger = new HereLedger(runtime.redis, runtime.queues, runtime.logger, 200);
    const member = HereLedger.member({ payload: { jobId: 'job_stillrunninghere00000000', targetIndex: 0, provider: 'simulated', model: 'image' }, priority: 50 });
    await ledger.hold(member);
    ledger.running(member);
    expect(await ledger.sweep(Date.now() + 1000)).toBe(0);
    // A tick renews the lease instead.
    await ledger.tick();
    const [entry] = await ledger.entries();
    expect(entry?.dueAt).toBeGreaterThan(Date.now() + 100);
    ledger.ended(member);
    await ledger.drop(member);
    expect(await ledger.entries()).toEqual([]);
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
    // The third take found every slot taken: its job was queued, and runs here wait for the worker to drain it.
    expect(slots.take('simulated', 'default')).toBe(false);
    slots.drained('simulated', 'default');

    // Two entries running in the worker leave one slot.
    const finishers: (() => void)[] = [];
    const busy = [1, 2].map(() => slots.track('simulated', 'default', () => new Promise<void>((resolve) => finishers.push(resolve))));
    expect(slots.take('simulated', 'default')).toBe(true);
    expect(slots.take('simulated', 'default')).toBe(false);
    for (const finish of finishers) finish();
    await Promise.all(busy);
    slots.give('simulated', 'default');
    expect(worker.concurrency).toBe(3);
    slots.drained('simulated', 'default');
    expect(slots.take('simulated', 'default')).toBe(true);
  });

  it('queues new jobs behind waiting ones: a job queued for want of a slot holds runs here off until the queue drains', () => {
    const slots = new WorkerSlots();
    const worker = { concurrency: 3 };
    slots.add('simulated', 'default', 3);
    slots.attach('simulated', 'default', worker);
    expect(slots.take('simulated', 'default')).toBe(true);
    expect(slots.take('simulated', 'default')).toBe(true);
    // Full: this job goes to the queue, and so do the ones after it, even once slots are free.
    expect(slots.take('simulated', 'default')).toBe(false);
    slots.give('simulated', 'default');
    slots.give('simulated', 'default');
    expect(slots.take('simulated', 'default')).toBe(false);
    slots.drained('simulated', 'default');
    expect(slots.take('simulated', 'default')).toBe(true);
  });
});
