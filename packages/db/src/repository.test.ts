// Conformance suite for the Repository: the same cases run on embedded PGlite and on PostgreSQL
// (each PostgreSQL run in a throwaway schema). PostgreSQL being down fails the suite, on purpose.
import type { JobKind } from '@mediagate/core';
import { jobStatuses, newId } from '@mediagate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAsset, NewJob, Repository } from './repository.ts';
import { openPostgresForTest, skipPostgres } from './test-support.ts';
import { openDatabase } from './open.ts';

interface Backend {
  name: string;
  open(): Promise<{ repository: Repository; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'pglite',
    async open() {
      const repository = await openDatabase({ dataDir: 'memory://' });
      return { repository, cleanup: () => repository.close() };
    },
  },
  {
    // The same database on a worker thread, reached through node-postgres (pglite-thread.ts).
    name: 'pglite on a thread',
    async open() {
      const repository = await openDatabase({ dataDir: 'memory://', thread: true });
      return { repository, cleanup: () => repository.close() };
    },
  },
  ...(skipPostgres ? [] : [{ name: 'postgres', open: () => openPostgresForTest() }]),
];

function newJob(tenantId: string, overrides: Partial<NewJob> = {}): NewJob {
  const kind: JobKind = overrides.kind ?? 'image';
  return {
    id: newId('job'),
    tenantId,
    kind,
    request: { kind, prompt: 'a lighthouse at dusk', params: { width: 512, height: 512 } },
    targets: [
      { provider: 'simulated', model: 'fast' },
      { provider: 'local', model: 'card' },
    ],
    ...overrides,
  };
}

function newAsset(tenantId: string, jobId: string | null): NewAsset {
  return {
    id: newId('ast'),
    tenantId,
    jobId,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    size: 5_000_000_000,
    mime: 'image/png',
    kind: 'image',
    width: 512,
    height: 512,
    durationMs: null,
    storageKey: `sha256/e3/${newId('ast')}.png`,
  };
}

describe.each(backends)('Repository on $name', (backend) => {
  let repository: Repository;
  let cleanup: (() => Promise<void>) | undefined;
  let tenant: string;
  let otherTenant: string;

  beforeAll(async () => {
    ({ repository, cleanup } = await backend.open());
    tenant = newId('ten');
    otherTenant = newId('ten');
    await repository.ensureTenant(tenant, 'Acme');
    await repository.ensureTenant(otherTenant, 'Globex');
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('names the database with one id that every caller reads', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => repository.instanceId()));
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{12}$/);
    expect(await repository.instanceId()).toBe(ids[0]);
  });

  it('ensures a tenant idempotently, also under concurrency', async () => {
    const id = newId('ten');
    const results = await Promise.all(Array.from({ length: 8 }, () => repository.ensureTenant(id, 'Initech')));
    expect(new Set(results.map((tenantRecord) => tenantRecord.createdAt.getTime())).size).toBe(1);
    expect(results[0]).toMatchObject({ id, name: 'Initech' });
    expect(await repository.ensureTenant(id, 'renamed')).toMatchObject({ name: 'Initech' });
  });

  it('creates a queued job with event seq 1 and reads it back identically', async () => {
    const input = newJob(tenant, { priority: 7, batchId: 'bat_1', metadata: { campaign: 'spring' }, estimatedCostUsd: 0.04 });
    const { job, event } = await repository.createJob(input);
    expect(job).toMatchObject({
      id: input.id,
      tenantId: tenant,
      status: 'queued',
      lastSeq: 1,
      progress: 0,
      targetIndex: 0,
      attemptCount: 0,
      priority: 7,
      batchId: 'bat_1',
      idempotencyKey: null,
      metadata: { campaign: 'spring' },
      estimatedCostUsd: 0.04,
      actualCostUsd: null,
      provider: null,
      error: null,
      outputAssetIds: [],
      startedAt: null,
      finishedAt: null,
    });
    expect(job.request).toEqual(input.request);
    expect(job.targets).toEqual(input.targets);
    expect(job.createdAt).toBeInstanceOf(Date);
    expect(event).toMatchObject({ jobId: input.id, tenantId: tenant, seq: 1, type: 'queued' });
    expect(event.createdAt).toBeInstanceOf(Date);
    expect(await repository.getJob(input.id)).toEqual(job);
    expect(await repository.listEvents(input.id, 0)).toEqual([event]);
  });

  it('answers creates, claims and completions exactly as the stored rows read back, alone and in batches', async () => {
    // Keys out of jsonb's order, an undefined member and a -0: the answers must match the reads.
    const request = { params: { width: 512, seed: -0, style: undefined }, prompt: 'p\u00e9', kind: 'image' } as unknown as NewJob['request'];
    const metadata = { zeta: 'z', a: 'a', 'é': 'e', ab: 'b' };
    for (const size of [1, 7]) {
      const inputs = Array.from({ length: size }, () => newJob(tenant, { request, metadata, estimatedCostUsd: 0.1 + 0.2 }));
      const created = await Promise.all(inputs.map((input) => repository.createJob(input)));
      for (const { job, event } of created) {
        const stored = await repository.getJob(job.id);
        expect(job).toEqual(stored);
        expect(JSON.stringify(job)).toBe(JSON.stringify(stored));
        expect(JSON.stringify([event])).toBe(JSON.stringify(await repository.listEvents(job.id, 0)));
      }
      const claims = await Promise.all(
        created.map(({ job }, index) =>
          repository.claimJob({ attemptId: newId('att'), jobId: job.id, targetIndex: 0, provider: 'simulated', model: 'fast', keyId: index ? 'pk_1' : null }),
        ),
      );
      for (const claim of claims) {
        const jobId = claim?.job.id ?? '';
        expect(JSON.stringify(claim?.job)).toBe(JSON.stringify(await repository.getJob(jobId)));
        expect(JSON.stringify([claim?.attempt])).toBe(JSON.stringify(await repository.listAttempts(jobId)));
        expect(JSON.stringify([claim?.event])).toBe(JSON.stringify(await repository.listEvents(jobId, 1)));
      }
      const done = await Promise.all(
        claims.map((claim) =>
          repository.completeJob(claim?.job.id ?? '', {
            provider: 'simulated',
            model: 'fast',
            assets: [newAsset(tenant, claim?.job.id ?? null)],
            actualCostUsd: 0.3,
            attempt: { id: claim?.attempt?.id ?? '', costUsd: 0.3 },
          }),
        ),
      );
      for (const result of done) {
        const jobId = result?.job.id ?? '';
        expect(JSON.stringify(result?.job)).toBe(JSON.stringify(await repository.getJob(jobId)));
        expect(JSON.stringify([result?.event])).toBe(JSON.stringify(await repository.listEvents(jobId, 2)));
      }
    }
  });

  it('creates a job running with its first attempt, answered exactly as the rows read back, alone and in batches', async () => {
    for (const size of [1, 6]) {
      // Every other job starts queued, so a batch mixes both kinds of insert; some commit
      // asynchronously, which changes when the rows reach the disk, not what they hold.
      const inputs = Array.from({ length: size }, (_, index) =>
        newJob(tenant, {
          estimatedCostUsd: 0.25,
          ...(index % 2 === 0 ? { attempt: { id: newId('att'), provider: 'simulated', model: 'fast', keyId: index ? 'pk_2' : null } } : {}),
          ...(index % 3 === 0 ? { asyncCommit: true } : {}),
        }),
      );
      const created = await Promise.all(inputs.map((input) => repository.createJob(input)));
      for (const [index, { job, event, started }] of created.entries()) {
        const stored = await repository.getJob(job.id);
        expect(JSON.stringify(job)).toBe(JSON.stringify(stored));
        expect(JSON.stringify(event)).toBe(JSON.stringify((await repository.listEvents(job.id, 0))[0]));
        if (index % 2 === 1) {
          expect(started).toBeUndefined();
          expect(job).toMatchObject({ status: 'queued', lastSeq: 1, startedAt: null });
          expect(await repository.listAttempts(job.id)).toEqual([]);
          continue;
        }
        expect(job).toMatchObject({ status: 'running', lastSeq: 2, attemptCount: 0 });
        expect(job.startedAt).toEqual(job.createdAt);
        expect(started?.attempt).toMatchObject({ id: inputs[index]?.attempt?.id, number: 1, status: 'submitting' });
        expect(JSON.stringify([started?.attempt])).toBe(JSON.stringify(await repository.listAttempts(job.id)));
        expect(JSON.stringify([event, started?.event])).toBe(JSON.stringify(await repository.listEvents(job.id, 0)));
        // A running job is not claimed again, and its next attempt is number 2.
        expect((await repository.claimJob({ attemptId: newId('att'), jobId: job.id, targetIndex: 0, provider: 'simulated', model: 'fast', keyId: null }))?.attempt).toBeUndefined();
        expect((await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'simulated', model: 'fast', keyId: null }))?.attempt.number).toBe(2);
      }
    }
    // A repeated idempotency key starts nothing: the first job comes back as it is.
    const first = await repository.createJob(newJob(tenant, { idempotencyKey: 'started-once' }));
    const again = await repository.createJob(newJob(tenant, { idempotencyKey: 'started-once', attempt: { id: newId('att'), provider: 'simulated', model: 'fast', keyId: null } }));
    expect(again.job.id).toBe(first.job.id);
    expect(again.started).toBeUndefined();
    expect(await repository.listAttempts(first.job.id)).toEqual([]);
  });

  it('answers a repeated idempotency key with the original job, per tenant', async () => {
    const first = await repository.createJob(newJob(tenant, { idempotencyKey: 'order-42' }));
    const again = await repository.createJob(newJob(tenant, { idempotencyKey: 'order-42' }));
    expect(again.job.id).toBe(first.job.id);
    expect(again.event).toEqual(first.event);
    const elsewhere = await repository.createJob(newJob(otherTenant, { idempotencyKey: 'order-42' }));
    expect(elsewhere.job.id).not.toBe(first.job.id);
  });

  it('appends events with gapless seqs under 50 concurrent writers', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const events = await Promise.all(
      Array.from({ length: 50 }, (_, index) => repository.appendEvent(job.id, 'progress', { step: index }, { progress: index * 2 })),
    );
    const seqs = events.map((event) => event?.seq ?? 0).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, index) => index + 2));
    const stored = await repository.listEvents(job.id, 0);
    expect(stored.map((event) => event.seq)).toEqual(Array.from({ length: 51 }, (_, index) => index + 1));
    expect((await repository.getJob(job.id))?.lastSeq).toBe(51);
    expect((await repository.listEvents(job.id, 49)).map((event) => event.seq)).toEqual([50, 51]);
  });

  it('applies a patch together with the event', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const error = { class: 'server' as const, message: 'upstream 503', status: 503 };
    const event = await repository.appendEvent(job.id, 'fallback', { to: 1 }, { targetIndex: 1, attemptCount: 2, error, progress: 33.4 });
    expect(event).toMatchObject({ seq: 2, type: 'fallback', data: { to: 1 } });
    expect(await repository.getJob(job.id)).toMatchObject({ targetIndex: 1, attemptCount: 2, error, progress: 33, lastSeq: 2 });
    await repository.appendEvent(job.id, 'progress', {}, { status: 'running', error: null });
    const running = await repository.getJob(job.id);
    expect(running).toMatchObject({ status: 'running', error: null });
    expect(running?.startedAt).toBeInstanceOf(Date);
  });

  it('numbers attempts in start order and sets the job running', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const first = await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'simulated', model: 'fast', keyId: 'pk_1' });
    expect(first?.attempt).toMatchObject({ number: 1, status: 'submitting', keyId: 'pk_1', operation: null, submittedAt: null, finishedAt: null });
    expect(first?.event).toMatchObject({ seq: 2, type: 'attempt', data: { provider: 'simulated', model: 'fast', keyId: 'pk_1', number: 1 } });
    const startedAt = (await repository.getJob(job.id))?.startedAt;
    expect(startedAt).toBeInstanceOf(Date);
    const more = await Promise.all(
      Array.from({ length: 5 }, () => repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'local', model: 'card', keyId: null })),
    );
    expect(more.map((started) => started?.attempt.number).sort()).toEqual([2, 3, 4, 5, 6]);
    const listed = await repository.listAttempts(job.id);
    expect(listed.map((attempt) => attempt.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(listed[0]).toEqual(first?.attempt);
    const after = await repository.getJob(job.id);
    expect(after).toMatchObject({ status: 'running', lastSeq: 7, attemptCount: 0 });
    expect(after?.startedAt).toEqual(startedAt);
  });

  it('stores the operation handle as JSON and finishes attempts', async () => {
    const { job } = await repository.createJob(newJob(tenant, { kind: 'video' }));
    const operation = { id: 'pred_123', urls: { get: 'https://api.example/v1/predictions/pred_123' }, tries: [1, 2.5, null], done: false };
    const started = await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'replicate', model: 'wan', keyId: null });
    const attemptId = started?.attempt.id ?? '';
    const submitted = await repository.markAttemptPending(attemptId, operation);
    expect(submitted).toMatchObject({ seq: 3, type: 'submitted', data: { attemptId } });
    const [pending] = await repository.listAttempts(job.id);
    expect(pending).toMatchObject({ status: 'pending', operation });
    expect(pending?.submittedAt).toBeInstanceOf(Date);

    const second = await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'fal', model: 'x', keyId: null });
    await repository.markAttemptPending(second?.attempt.id ?? '', '123');
    const error = { class: 'rate_limited' as const, message: 'slow down', status: 429 };
    await repository.finishAttempt(attemptId, { status: 'failed', error, costUsd: 0.125 });
    const [failed, stringHandle] = await repository.listAttempts(job.id);
    expect(failed).toMatchObject({ status: 'failed', error, costUsd: 0.125 });
    expect(failed?.finishedAt).toBeInstanceOf(Date);
    expect(stringHandle?.operation).toBe('123');
    expect(await repository.markAttemptPending(attemptId, { late: true }), 'a finished attempt').toBeUndefined();
    expect(await repository.markAttemptPending('att_missing', {})).toBeUndefined();
  });

  it('stores text exactly, quotes and backslashes included', async () => {
    const tricky = `it's \\'); DROP TABLE jobs; -- \\n "quoted" \u00e9\u{1f600} $1 \\x00`;
    const { job } = await repository.createJob(
      newJob(tenant, { request: { kind: 'image', prompt: tricky, params: {} }, metadata: { note: tricky }, idempotencyKey: tricky }),
    );
    const stored = await repository.getJob(job.id, tenant);
    expect(stored?.request.prompt).toBe(tricky);
    expect(stored?.metadata).toEqual({ note: tricky });
    expect(stored?.idempotencyKey).toBe(tricky);
    const started = await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: tricky, model: tricky, keyId: tricky });
    expect(started?.attempt).toMatchObject({ provider: tricky, model: tricky, keyId: tricky });
    expect((await repository.appendEvent(job.id, 'progress', { message: tricky }))?.data).toEqual({ message: tricky });
    expect((await repository.listJobs({ tenantId: tenant, limit: 1000 })).find((listed) => listed.id === job.id)).toEqual(
      await repository.getJob(job.id),
    );
  });

  it('keeps an operation handle that arrives after the job ended', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const started = await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'fal', model: 'x', keyId: null });
    await repository.cancelJob(job.id);
    expect(await repository.markAttemptPending(started?.attempt.id ?? '', { requestId: 'req_9' })).toBeUndefined();
    expect(await repository.listAttempts(job.id)).toMatchObject([{ status: 'pending', operation: { requestId: 'req_9' } }]);
    expect((await repository.getJob(job.id))?.lastSeq).toBe(3);
  });

  it('claims a queued job with its first attempt in one step, and only once', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const claim = { jobId: job.id, targetIndex: 0, provider: 'simulated', model: 'fast', keyId: 'pk_1' };
    const [first, second] = await Promise.all([
      repository.claimJob({ ...claim, attemptId: newId('att') }),
      repository.claimJob({ ...claim, attemptId: newId('att') }),
    ]);
    const winners = [first, second].filter((result) => result?.attempt !== undefined);
    expect(winners).toHaveLength(1);
    const won = winners[0];
    expect(won?.job).toMatchObject({ status: 'running', lastSeq: 2 });
    expect(won?.attempt).toMatchObject({ number: 1, status: 'submitting', keyId: 'pk_1' });
    expect(won?.event).toMatchObject({ seq: 2, type: 'attempt' });
    const loser = [first, second].find((result) => result?.attempt === undefined);
    expect(loser?.job.id).toBe(job.id);
    expect(loser?.event).toBeUndefined();
    expect(await repository.listAttempts(job.id)).toHaveLength(1);
    // Another target index, or an unknown job, claims nothing.
    const { job: other } = await repository.createJob(newJob(tenant));
    expect((await repository.claimJob({ ...claim, jobId: other.id, targetIndex: 1, attemptId: newId('att') }))?.attempt).toBeUndefined();
    expect((await repository.getJob(other.id))?.status).toBe('queued');
    expect(await repository.claimJob({ ...claim, jobId: 'job_missing', attemptId: newId('att') })).toBeUndefined();
  });

  it('answers many concurrent creates, claims and completions each with its own job', async () => {
    const inputs = Array.from({ length: 60 }, (_, index) => newJob(tenant, { priority: index, idempotencyKey: index % 2 ? `batch-${newId('job')}` : null }));
    const created = await Promise.all(inputs.map((input) => repository.createJob(input)));
    created.forEach(({ job, event }, index) => {
      expect(job).toMatchObject({ id: inputs[index]?.id, priority: index, status: 'queued', lastSeq: 1 });
      expect(event).toMatchObject({ jobId: inputs[index]?.id, seq: 1, type: 'queued' });
    });
    const claims = await Promise.all(
      created.map(({ job }, index) =>
        repository.claimJob({ attemptId: newId('att'), jobId: job.id, targetIndex: 0, provider: 'simulated', model: 'fast', keyId: `k${index}` }),
      ),
    );
    claims.forEach((claim, index) => {
      expect(claim?.job).toMatchObject({ id: created[index]?.job.id, status: 'running' });
      expect(claim?.attempt).toMatchObject({ jobId: created[index]?.job.id, number: 1, keyId: `k${index}` });
      expect(claim?.event).toMatchObject({ jobId: created[index]?.job.id, seq: 2, type: 'attempt' });
    });
    const outputs = created.map(({ job }) => [newAsset(tenant, job.id)]);
    const done = await Promise.all(
      created.map(({ job }, index) =>
        repository.completeJob(job.id, {
          provider: 'simulated',
          model: 'fast',
          assets: outputs[index] ?? [],
          actualCostUsd: index / 100,
          attempt: { id: claims[index]?.attempt?.id ?? '', costUsd: index / 100 },
        }),
      ),
    );
    done.forEach((result, index) => {
      expect(result?.job).toMatchObject({ id: created[index]?.job.id, status: 'succeeded', actualCostUsd: index / 100, outputAssetIds: outputs[index]?.map((a) => a.id) });
      expect(result?.event).toMatchObject({ seq: 3, type: 'succeeded' });
    });
    const attemptsDone = await Promise.all(created.map(({ job }) => repository.listAttempts(job.id)));
    expect(attemptsDone.every(([attempt]) => attempt?.status === 'succeeded')).toBe(true);
  });

  it('keeps a bad input in a concurrent batch from failing the others', async () => {
    const { job: existing } = await repository.createJob(newJob(tenant));
    const good = Array.from({ length: 5 }, () => newJob(tenant));
    const results = await Promise.allSettled([...good, newJob(tenant, { id: existing.id })].map((input) => repository.createJob(input)));
    expect(results.slice(0, 5).every((result) => result.status === 'fulfilled')).toBe(true);
    expect(results[5]?.status).toBe('rejected');
    for (const input of good) expect((await repository.getJob(input.id))?.status).toBe('queued');
  });

  it('marks the producing attempt succeeded together with the job', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const claimed = await repository.claimJob({ jobId: job.id, targetIndex: 0, provider: 'simulated', model: 'fast', keyId: null, attemptId: newId('att') });
    const attemptId = claimed?.attempt?.id ?? '';
    const done = await repository.completeJob(job.id, {
      provider: 'simulated',
      model: 'fast',
      assets: [newAsset(tenant, job.id)],
      actualCostUsd: 0.02,
      attempt: { id: attemptId, costUsd: 0.02 },
    });
    expect(done?.job.status).toBe('succeeded');
    const [attempt] = await repository.listAttempts(job.id);
    expect(attempt).toMatchObject({ id: attemptId, status: 'succeeded', costUsd: 0.02, error: null });
    expect(attempt?.finishedAt).toBeInstanceOf(Date);
  });

  it('completes a job with its assets in one step', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const outputs = [newAsset(tenant, job.id), newAsset(tenant, job.id)];
    const done = await repository.completeJob(job.id, { provider: 'simulated', model: 'fast', assets: outputs, actualCostUsd: 0.08 });
    expect(done?.job).toMatchObject({
      status: 'succeeded',
      progress: 100,
      provider: 'simulated',
      model: 'fast',
      actualCostUsd: 0.08,
      outputAssetIds: outputs.map((asset) => asset.id),
      lastSeq: 2,
    });
    expect(done?.job.finishedAt).toBeInstanceOf(Date);
    expect(done?.event).toMatchObject({ seq: 2, type: 'succeeded' });
    expect(await repository.getJob(job.id)).toEqual(done?.job);
    const stored = await repository.listJobAssets(job.id);
    expect(stored.map((asset) => asset.id).sort()).toEqual(outputs.map((asset) => asset.id).sort());
    const [firstOutput] = outputs;
    expect(await repository.getAsset(firstOutput?.id ?? '')).toEqual({ ...firstOutput, createdAt: expect.any(Date) });
  });

  it('refuses every write to a terminal job and writes nothing', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const failed = await repository.failJob(job.id, { class: 'invalid_input', message: 'prompt too long' });
    expect(failed?.job).toMatchObject({ status: 'failed', error: { class: 'invalid_input', message: 'prompt too long' }, lastSeq: 2 });
    expect(failed?.event).toMatchObject({ type: 'failed', seq: 2 });
    const asset = newAsset(tenant, job.id);

    expect(await repository.appendEvent(job.id, 'progress', {}, { progress: 50 })).toBeUndefined();
    expect(await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'p', model: 'm', keyId: null })).toBeUndefined();
    expect(await repository.completeJob(job.id, { provider: 'p', model: 'm', assets: [asset], actualCostUsd: 1 })).toBeUndefined();
    expect(await repository.failJob(job.id, { class: 'server', message: 'again' })).toBeUndefined();
    expect(await repository.cancelJob(job.id)).toBeUndefined();

    expect(await repository.getJob(job.id)).toEqual(failed?.job);
    expect(await repository.listEvents(job.id, 0)).toHaveLength(2);
    expect(await repository.listAttempts(job.id)).toEqual([]);
    expect(await repository.getAsset(asset.id)).toBeUndefined();
    expect(await repository.appendEvent('job_missing', 'progress', {})).toBeUndefined();
  });

  it('cancels only within the tenant and only once', async () => {
    const { job } = await repository.createJob(newJob(tenant));
    expect(await repository.cancelJob(job.id, otherTenant)).toBeUndefined();
    const canceled = await repository.cancelJob(job.id, tenant);
    expect(canceled?.job).toMatchObject({ status: 'canceled', lastSeq: 2 });
    expect(canceled?.job.finishedAt).toBeInstanceOf(Date);
    expect(canceled?.event).toMatchObject({ type: 'canceled', seq: 2 });
    expect(await repository.cancelJob(job.id, tenant)).toBeUndefined();
    expect(await repository.cancelJob('job_missing')).toBeUndefined();
  });

  it("hides another tenant's jobs, events and assets", async () => {
    const { job } = await repository.createJob(newJob(tenant));
    const upload = await repository.insertAsset(newAsset(tenant, null));
    expect(upload).toMatchObject({ jobId: null, size: 5_000_000_000 });
    expect(await repository.getJob(job.id, otherTenant)).toBeUndefined();
    expect(await repository.getJob(job.id, tenant)).toMatchObject({ id: job.id });
    expect(await repository.listEvents(job.id, 0, otherTenant)).toEqual([]);
    expect(await repository.listEvents(job.id, 0, tenant)).toHaveLength(1);
    expect(await repository.getAsset(upload.id, otherTenant)).toBeUndefined();
    expect(await repository.getAsset(upload.id, tenant)).toEqual(upload);
    expect(await repository.listJobs({ tenantId: otherTenant, limit: 100 })).not.toContainEqual(expect.objectContaining({ id: job.id }));
  });

  it('pages through jobs newest first with filters', async () => {
    const owner = newId('ten');
    const created: string[] = [];
    for (let index = 0; index < 7; index++) {
      const { job } = await repository.createJob(newJob(owner, { kind: index % 2 === 0 ? 'image' : 'speech' }));
      created.push(job.id);
    }
    await repository.cancelJob(created[0] ?? '');
    const newestFirst = [...created].reverse();
    const pageOne = await repository.listJobs({ tenantId: owner, limit: 3 });
    expect(pageOne.map((job) => job.id)).toEqual(newestFirst.slice(0, 3));
    const pageTwo = await repository.listJobs({ tenantId: owner, limit: 3, before: pageOne.at(-1)?.id });
    expect(pageTwo.map((job) => job.id)).toEqual(newestFirst.slice(3, 6));
    const pageThree = await repository.listJobs({ tenantId: owner, limit: 3, before: pageTwo.at(-1)?.id });
    expect(pageThree.map((job) => job.id)).toEqual(newestFirst.slice(6));
    const speech = await repository.listJobs({ tenantId: owner, kind: 'speech', limit: 10 });
    expect(speech.map((job) => job.id)).toEqual(newestFirst.filter((_, index) => index % 2 === 1));
    const canceled = await repository.listJobs({ tenantId: owner, status: 'canceled', limit: 10 });
    expect(canceled.map((job) => job.id)).toEqual([created[0]]);
    expect(await repository.listJobs({ tenantId: owner, status: 'queued', kind: 'image', limit: 10 })).toHaveLength(3);
  });

  it('filters jobs by provider, batch and creation time', async () => {
    const owner = newId('ten');
    const early = await repository.createJob(newJob(owner, { batchId: 'bat_a' }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const middle = new Date();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const late = await repository.createJob(newJob(owner, { batchId: 'bat_b' }));
    const served = await repository.createJob(newJob(owner, { batchId: 'bat_b' }));
    await repository.completeJob(served.job.id, { provider: 'local', model: 'card', assets: [], actualCostUsd: 0 });
    const ids = async (filter: Omit<Parameters<Repository['listJobs']>[0], 'tenantId' | 'limit'>) =>
      (await repository.listJobs({ tenantId: owner, limit: 10, ...filter })).map((job) => job.id);

    // Queued jobs count under their current target's provider, finished ones under the provider that served them.
    expect(await ids({ provider: 'simulated' })).toEqual([late.job.id, early.job.id]);
    expect(await ids({ provider: 'local' })).toEqual([served.job.id]);
    expect(await ids({ provider: 'nowhere' })).toEqual([]);
    expect(await ids({ batchId: 'bat_b' })).toEqual([served.job.id, late.job.id]);
    expect(await ids({ createdAfter: middle })).toEqual([served.job.id, late.job.id]);
    expect(await ids({ createdBefore: middle })).toEqual([early.job.id]);
    expect(await ids({ createdAfter: middle, batchId: 'bat_a' })).toEqual([]);
    expect(await ids({ batchId: 'bat_b', before: served.job.id })).toEqual([late.job.id]);
  });

  it('deletes a job with its events, attempts and assets, tenant-scoped, naming keys left unreferenced', async () => {
    const shared = `shared-${newId('ast')}`;
    const { job } = await repository.createJob(newJob(tenant));
    const attemptId = newId('att');
    await repository.startAttempt({ id: attemptId, jobId: job.id, provider: 'simulated', model: 'fast', keyId: null });
    const own = { ...newAsset(tenant, job.id), storageKey: `own-${newId('ast')}` };
    const twin = { ...newAsset(tenant, job.id), storageKey: shared };
    await repository.completeJob(job.id, { provider: 'simulated', model: 'fast', assets: [own, twin], actualCostUsd: 0.02, attempt: { id: attemptId, costUsd: 0.02 } });
    // Another tenant's upload holds the same bytes as one output: that file must stay.
    const elsewhere = await repository.insertAsset({ ...newAsset(otherTenant, null), storageKey: shared });

    expect(await repository.deleteJob(job.id, otherTenant)).toBeUndefined();
    expect(await repository.getJob(job.id)).toBeDefined();

    const result = await repository.deleteJob(job.id, tenant);
    expect(result).toEqual({ unreferencedKeys: [own.storageKey] });
    expect(await repository.getJob(job.id)).toBeUndefined();
    expect(await repository.listEvents(job.id, 0)).toEqual([]);
    expect(await repository.listAttempts(job.id)).toEqual([]);
    expect(await repository.getAsset(own.id)).toBeUndefined();
    expect(await repository.getAsset(twin.id)).toBeUndefined();
    expect(await repository.getAsset(elsewhere.id)).toEqual(elsewhere);
    expect(await repository.deleteJob(job.id, tenant)).toBeUndefined();

    const { job: bare } = await repository.createJob(newJob(tenant));
    expect(await repository.deleteJob(bare.id, tenant)).toEqual({ unreferencedKeys: [] });
    expect(await repository.listJobs({ tenantId: tenant, limit: 200 })).not.toContainEqual(expect.objectContaining({ id: bare.id }));
  });

  it('counts jobs by status with every status present', async () => {
    const owner = newId('ten');
    const empty = await repository.countJobs(owner);
    expect(empty).toEqual(Object.fromEntries(jobStatuses.map((status) => [status, 0])));
    const { job } = await repository.createJob(newJob(owner));
    await repository.createJob(newJob(owner));
    await repository.startAttempt({ id: newId('att'), jobId: job.id, provider: 'p', model: 'm', keyId: null });
    expect(await repository.countJobs(owner)).toEqual({ queued: 1, running: 1, succeeded: 0, failed: 0, canceled: 0 });
    const all = await repository.countJobs();
    expect(all.queued).toBeGreaterThanOrEqual(1);
    expect(Object.keys(all).sort()).toEqual([...jobStatuses].sort());
  });

  it('counts jobs by status, kind and the provider serving them', async () => {
    const owner = newId('ten');
    const provider = `p_${newId('pk').slice(-8)}`;
    const other = `q_${newId('pk').slice(-8)}`;
    const targets = [{ provider, model: 'm' }, { provider: other, model: 'n' }];
    const queued = await repository.createJob(newJob(owner, { targets }));
    await repository.createJob(newJob(owner, { targets, kind: 'speech' }));
    const moved = await repository.createJob(newJob(owner, { targets }));
    await repository.appendEvent(moved.job.id, 'fallback', {}, { targetIndex: 1 });
    await repository.startAttempt({ id: newId('att'), jobId: queued.job.id, provider, model: 'm', keyId: null });
    const done = await repository.createJob(newJob(owner, { targets }));
    await repository.completeJob(done.job.id, { provider: other, model: 'n', assets: [], actualCostUsd: null });

    const groups = (await repository.countJobsByGroup()).filter((group) => [provider, other].includes(group.provider));
    const sorted = groups.map(({ status, kind, provider: name, count }) => `${status} ${kind} ${name} ${count}`).sort();
    expect(sorted).toEqual([
      `queued image ${other} 1`,
      `queued speech ${provider} 1`,
      `running image ${provider} 1`,
      `succeeded image ${other} 1`,
    ]);
  });

  it('upserts provider keys and keeps their creation time', async () => {
    const provider = `openai_${newId('pk').slice(-6)}`;
    const id = newId('pk');
    const created = await repository.upsertProviderKey({ id, provider, pool: 'default', secret: 'enc:v1:abc', status: 'active', limits: { rpm: 60 } });
    const updated = await repository.upsertProviderKey({ id, provider, pool: 'anime', secret: 'enc:v1:def', status: 'rate_limited', limits: { rpm: 30, concurrency: 2 } });
    expect(updated).toEqual({ id, provider, pool: 'anime', secret: 'enc:v1:def', status: 'rate_limited', limits: { rpm: 30, concurrency: 2 }, createdAt: created.createdAt });
    await repository.upsertProviderKey({ id: newId('pk'), provider: `${provider}_other`, pool: 'default', secret: 's', status: 'active', limits: {} });
    expect(await repository.listProviderKeys(provider)).toEqual([updated]);
    expect((await repository.listProviderKeys()).length).toBeGreaterThanOrEqual(2);
  });
});
