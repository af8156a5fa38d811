// The attempt runner: takes one queue entry, claims the job, runs (or resumes) an attempt on
// its current target, and decides what comes next — done, poll again later, retry, rotate key,
// fall back, fail. Every decision reads the database, so a duplicated entry is harmless.
import { DelayedError, type Job } from 'bullmq';
import { ProviderError, isTerminal, newId, toErrorRecord, type ErrorRecord } from '@mediagate/core';
import type { AttemptRecord, JobEvent, JobPatch, JobRecord, NewJobAttempt } from '@mediagate/db';
import type { ImageInput, JsonValue, ProviderKey, ResolvedTarget } from '@mediagate/providers';
import { CancelRequested, cancelAtProvider, runAttempt } from './attempt.ts';
import { backoffDelay } from './backoff.ts';
import { settleJob } from './budgets/budgets.ts';
import { engineMetrics } from './metrics.ts';
import type { Outcome } from './outcome.ts';
import type { QueuePayload } from './queues.ts';
import { circuitOpenError, recordAttempt, routingFeedback, routing } from './routing/routing.ts';
import type { Runtime } from './runtime.ts';
import { loadJobInputs, type ProviderInputs } from './inputs.ts';
import { referenceLinkSeconds } from './asset-links.ts';
import { loadImages } from './submit.ts';
import { toProviderRequest } from './targets.ts';

/** Whether an attempt says something about its key's health: provider failures do, the caller's or ours do not. */
function attemptHealth(result: { type: string; error?: unknown }): boolean | undefined {
  if (result.type === 'succeeded') return true;
  if (result.type !== 'failed' || !(result.error instanceof ProviderError)) return undefined;
  const errorClass = result.error.errorClass;
  return errorClass === 'rate_limited' || errorClass === 'invalid_input' || errorClass === 'content_policy' ? undefined : false;
}

export type { Outcome } from './outcome.ts';

interface Started {
  job: JobRecord;
  attempt: AttemptRecord;
  resolved: ResolvedTarget;
  /** Acquired for this attempt; released when it ends. */
  key: ProviderKey | undefined;
  /** The provider already holds the work (resume polling) rather than it still to be sent. */
  submitted: boolean;
}

/** A first attempt picked before its job is written (JobRunner.firstAttempt). */
export interface FirstAttemptPlan {
  attempt: NewJobAttempt;
  /** Acquired for the attempt; released when it ends (or unused, when the job is not created with it). */
  key: ProviderKey | undefined;
  resolved: ResolvedTarget;
}

/** A first attempt the job's insert started, as the run goes on from it. */
export type StartedFirstAttempt = Omit<FirstAttemptPlan, 'attempt'> & { job: JobRecord; attempt: AttemptRecord };

const maxRetryDelayMs = 5 * 60_000;
/** A 429 never retries sooner than this, whatever Retry-After says: no spinning. */
const minRateLimitWaitMs = 250;
/** 429s on one job after which its target counts as failed (rate_limited) and it falls back. */
const maxRateLimited = 50;
/** How long an entry for a fallback hop waits for the database to record the hop. */
const hopGraceMs = 60_000;

export class JobRunner {
  readonly #runtime: Runtime;
  readonly #running = new Map<string, AbortController>();

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /** Stops the attempt running for `jobId` in this process, if any. */
  cancelRunning(jobId: string): void {
    this.#running.get(jobId)?.abort(new CancelRequested('canceled'));
  }

  /** BullMQ processor: returns when the entry is finished, throws DelayedError to come back later. */
  async process(entry: Job<QueuePayload>, token?: string): Promise<void> {
    const outcome = await this.run(entry.data, entry.timestamp);
    if (outcome.type === 'delay') await this.postpone(entry, outcome.ms, token);
  }

  /** Puts the entry back for `ms` (BullMQ processor: throws DelayedError, as BullMQ asks). */
  async postpone(entry: Job<QueuePayload>, ms: number, token?: string): Promise<never> {
    await entry.moveToDelayed(Date.now() + ms, token);
    throw new DelayedError();
  }

  /**
   * Never answers 'next-key': key rotation happens inside. `first` is a first attempt the job's
   * insert already started (firstAttempt), run without a claim.
   */
  async run(payload: QueuePayload, enqueuedAt = Date.now(), first?: StartedFirstAttempt): Promise<Outcome> {
    // Registered before the claim, so a cancel arriving meanwhile is not lost.
    const controller = new AbortController();
    this.#running.set(payload.jobId, controller);
    try {
      if (first === undefined) return await this.#run(payload, enqueuedAt, controller.signal);
      return await this.#afterStarted(payload.jobId, { ...first, submitted: false }, controller.signal);
    } finally {
      if (this.#running.get(payload.jobId) === controller) this.#running.delete(payload.jobId);
    }
  }

  /**
   * For a job about to be written and run in this process: its first attempt on the entry's
   * target, with the key taken now, so the insert can start it and no claim is needed. Undefined
   * when the run should claim the job as a queue entry would: the provider's circuit is not
   * closed, or no key is free at once (the claim waits for one).
   */
  async firstAttempt(payload: QueuePayload): Promise<FirstAttemptPlan | undefined> {
    const resolved = this.#entryTarget(payload);
    if (resolved === undefined || !(await routing(this.#runtime).breakers.allow(resolved.target.provider))) return undefined;
    const { keys } = this.#runtime;
    const { provider, model } = resolved.target;
    const choice = await keys.acquire(provider, keys.poolFor(provider, payload.pool), { maxWaitMs: 0 });
    if (choice.type === 'wait' || choice.type === 'exhausted') return undefined;
    const key = choice.type === 'key' ? choice.key : undefined;
    return { attempt: { id: newId('att'), provider, model, keyId: key?.id ?? null }, key, resolved };
  }

  async #run(payload: QueuePayload, enqueuedAt: number, cancel: AbortSignal): Promise<Outcome> {
    if (await this.#skipOpenCircuit(payload)) return { type: 'done' };
    const claimed = await this.#claim(payload, cancel);
    // No key of the pool has capacity soon: back to the queue until the earliest slot, unclaimed.
    if (claimed !== undefined && 'waitUntil' in claimed) return { type: 'delay', ms: Math.max(minRateLimitWaitMs, claimed.waitUntil - Date.now()) };
    if (claimed !== undefined && 'attempt' in claimed) return this.#afterStarted(payload.jobId, claimed, cancel);
    const job = claimed?.job ?? (await this.#runtime.repo.getJob(payload.jobId));
    if (job === undefined) {
      this.#runtime.logger.warn({ jobId: payload.jobId }, 'queue entry for a job this database does not have; dropped');
      return { type: 'done' };
    }
    if (isTerminal(job.status) || payload.targetIndex < job.targetIndex) return { type: 'done' };
    if (payload.targetIndex > job.targetIndex) {
      // A fallback hop is enqueued before the database records it: wait for the record, a while.
      if (Date.now() - enqueuedAt < hopGraceMs) return { type: 'delay', ms: 250 };
      this.#runtime.logger.warn({ jobId: job.id }, 'fallback entry whose hop was never recorded; dropped');
      return { type: 'done' };
    }
    return this.#runTarget(job, cancel);
  }

  /** Runs an attempt just started on a queued job; when its key is out, goes on with another. */
  async #afterStarted(jobId: string, started: Started, cancel: AbortSignal): Promise<Outcome> {
    const outcome = await this.#runStarted(started, cancel);
    if (outcome.type !== 'next-key') return outcome;
    // That key is out (429, revoked): go on with another through the general path.
    const fresh = await this.#liveJob(jobId);
    return fresh === undefined ? { type: 'done' } : this.#runTarget(fresh, cancel);
  }

  /** The adapter and model of an entry's target; undefined when this process does not have them. */
  #entryTarget(payload: QueuePayload): ResolvedTarget | undefined {
    const { provider, model } = payload;
    if (provider === undefined || model === undefined) return undefined;
    const adapter = this.#runtime.providers.get(provider);
    const spec = adapter?.models.find((candidate) => candidate.id === model);
    return adapter === undefined || spec === undefined ? undefined : { adapter, spec, target: { provider, model } };
  }

  /**
   * The common case in one write: a queued job on this entry's target becomes running with its
   * first attempt. Anything else (a resumed, retried or finished job) comes back as the job.
   */
  async #claim(payload: QueuePayload, cancel: AbortSignal): Promise<Started | { job: JobRecord } | { waitUntil: number } | undefined> {
    const resolved = this.#entryTarget(payload);
    if (resolved === undefined) return undefined;
    const { provider, model } = resolved.target;
    const { keys, repo, bus } = this.#runtime;
    // Taken fleet-wide before the claim (waiting for a slot when needed), so a burst of claims
    // spreads over the keys instead of piling onto the first.
    const choice = await keys.acquire(provider, keys.poolFor(provider, payload.pool), { signal: cancel });
    if (choice.type === 'wait') return { waitUntil: choice.at };
    if (choice.type !== 'key' && choice.type !== 'none') return undefined;
    const key = choice.type === 'key' ? choice.key : undefined;
    const claim = await repo
      .claimJob({ attemptId: newId('att'), jobId: payload.jobId, targetIndex: payload.targetIndex, provider, model, keyId: key?.id ?? null })
      .catch(async (error: unknown) => {
        if (key) await keys.release(provider, key, { unused: true });
        throw error;
      });
    if (claim?.attempt === undefined) {
      if (key) await keys.release(provider, key, { unused: true });
      if (claim === undefined) return undefined;
      // Still "queued" means the row came from the statement's snapshot while another claim
      // held it: read it again now that the other one committed.
      return claim.job.status === 'queued' ? undefined : { job: claim.job };
    }
    // Events are not waited for: they go out in order on one connection, and a lost one is
    // replayed from the database by every reader.
    void bus.publish(claim.event);
    return { job: claim.job, attempt: claim.attempt, key, submitted: false, resolved };
  }

  async #runTarget(job: JobRecord, cancel: AbortSignal): Promise<Outcome> {
    const { repo, providers, keys, settings } = this.#runtime;
    const target = job.targets[job.targetIndex];
    if (target === undefined) return this.#fail(job, { class: 'internal', message: 'job has no target left' });
    const resolved = providers.resolve(target, 'model', job.kind);

    const last = job.status === 'queued' ? undefined : (await repo.listAttempts(job.id)).at(-1);
    if (last?.status === 'pending' && last.provider === target.provider && last.model === target.model) {
      // The provider holds the work (a worker died, or polling failed): poll the stored handle.
      const key = last.keyId === null ? undefined : await keys.hold(target.provider, last.keyId);
      const outcome = await this.#runStarted({ job, attempt: last, resolved, key, submitted: true }, cancel);
      if (outcome.type !== 'next-key') return outcome;
      const fresh = await this.#liveJob(job.id);
      if (fresh === undefined) return { type: 'done' };
      job = fresh;
    } else if (last?.status === 'submitting') {
      const error: ErrorRecord = {
        class: 'ambiguous_submit',
        message: 'the worker stopped after sending the request and before storing its handle',
      };
      await repo.finishAttempt(last.id, { status: 'ambiguous', error });
      this.#runtime.logger.warn({ jobId: job.id, attemptId: last.id, provider: last.provider }, 'ambiguous submit');
      if (resolved.adapter.paid && settings.ambiguousSubmit === 'fail') return this.#fail(job, error);
    }

    for (;;) {
      const choice = await keys.acquire(target.provider, keys.poolFor(target.provider, job.request.pool), { signal: cancel });
      if (choice.type === 'wait') {
        await this.#event(job.id, 'rate_limited', { provider: target.provider, retryAtMs: choice.at });
        return { type: 'delay', ms: Math.max(minRateLimitWaitMs, choice.at - Date.now()) };
      }
      if (choice.type === 'exhausted') {
        return this.#next(job, new ProviderError('auth', `every ${target.provider} key is disabled: ${choice.reason}`));
      }
      const key = choice.type === 'key' ? choice.key : undefined;
      const started = await repo
        .startAttempt({ id: newId('att'), jobId: job.id, provider: target.provider, model: target.model, keyId: key?.id ?? null })
        .catch(async (error: unknown) => {
          if (key) await keys.release(target.provider, key, { unused: true });
          throw error;
        });
      if (started === undefined) {
        if (key) await keys.release(target.provider, key, { unused: true });
        return { type: 'done' };
      }
      void this.#runtime.bus.publish(started.event);
      const outcome = await this.#runStarted({ job, attempt: started.attempt, resolved, key, submitted: false }, cancel);
      if (outcome.type !== 'next-key') return outcome;
      const fresh = await this.#liveJob(job.id);
      if (fresh === undefined) return { type: 'done' };
      job = fresh;
    }
  }

  /** Runs a recorded attempt (its key already acquired) and turns how it ended into an outcome. */
  async #runStarted(started: Started, cancel: AbortSignal): Promise<Outcome> {
    const { job, attempt, resolved, key } = started;
    const provider = resolved.target.provider;
    try {
      let images: ImageInput[];
      let inputs: ProviderInputs;
      try {
        const limitMs = this.#runtime.settings.attemptTimeoutMs ?? resolved.adapter.attemptTimeoutMs;
        images = await loadImages(this.#runtime, job.tenantId, job.request.image_asset_ids ?? [], referenceLinkSeconds(limitMs));
        inputs = await loadJobInputs(this.#runtime, job);
      } catch (error) {
        // Nothing was sent: say why rather than leave the attempt looking like a crash mid-send.
        const record: ErrorRecord = { class: 'internal', message: `inputs unavailable (reference images, mask, remixed job): ${(error as Error).message}` };
        await this.#runtime.repo.finishAttempt(attempt.id, { status: 'failed', error: record });
        return this.#fail(job, record);
      }
      const request = toProviderRequest(job.request, resolved.target, images, inputs);
      // Not waited for: the script goes out on the shared connection in this turn, beside the
      // request, and only has to land long before the rpm window (a minute) could end.
      if (key && !started.submitted) void this.#runtime.keys.sent(provider, key);
      const sentAt = performance.now();
      const result = await engineMetrics(this.#runtime).timeAttempt(resolved.target, key?.id, () =>
        runAttempt(this.#runtime, { job, resolved, request, attempt, submitted: started.submitted, key, cancel }),
      );
      const healthy = attemptHealth(result);
      const latencyMs = performance.now() - sentAt;
      // Both go out in the same Redis batch (capped-lists.ts), while the job goes on.
      void Promise.all([
        healthy === undefined ? undefined : this.#runtime.keys.recordOutcome(provider, key?.id, { ok: healthy, latencyMs }),
        recordAttempt(this.#runtime, resolved.target, routingFeedback(result), latencyMs),
      ]).catch((error: unknown) => this.#runtime.logger.warn({ jobId: job.id, err: error instanceof Error ? error.message : String(error) }, 'attempt stats not recorded'));
      switch (result.type) {
        case 'succeeded':
          await settleJob(this.#runtime, job.id, job.tenantId);
          return { type: 'done', succeeded: true, outputs: result.assets };
        case 'canceled':
        case 'gone':
          await settleJob(this.#runtime, job.id, job.tenantId);
          return { type: 'done' };
        case 'internal': {
          // Ours, not the provider's (a bug, a refused write): retrying could pay twice, so fail loudly.
          const record: ErrorRecord = { class: 'internal', message: result.error instanceof Error ? result.error.message : String(result.error) };
          this.#runtime.logger.error({ jobId: job.id, attemptId: attempt.id, err: result.error }, 'attempt failed inside Mediagate');
          await cancelAtProvider(this.#runtime, resolved, result.operation, key);
          await this.#runtime.repo.finishAttempt(attempt.id, { status: 'failed', error: record });
          return this.#fail(job, record);
        }
        case 'failed':
          return await this.#afterFailedAttempt(started, result.error, result.operation);
        default:
          return result satisfies never;
      }
    } finally {
      // Sent before any later claim on this connection, so it is not waited for.
      if (key) void this.#runtime.keys.release(provider, key);
    }
  }

  async #afterFailedAttempt(started: Started, error: ProviderError, operation: JsonValue | null): Promise<Outcome> {
    const { job, attempt, resolved, key } = started;
    const { repo, settings } = this.#runtime;
    const keepPolling = operation !== null && error.errorClass !== 'timeout' && error.errorClass !== 'output_invalid';
    if (keepPolling && (error.isRetryable || error.errorClass === 'rate_limited')) {
      // The provider holds (and bills) the work: poll it again later instead of sending it again.
      if (error.errorClass === 'rate_limited') {
        const waitMs = Math.max(minRateLimitWaitMs, error.retryAfterMs ?? settings.retryBaseMs);
        await this.#event(job.id, 'rate_limited', { provider: resolved.target.provider, phase: 'poll', retryAfterMs: waitMs });
        return { type: 'delay', ms: waitMs };
      }
      const failures = job.attemptCount + 1;
      if (failures < settings.maxAttempts) return this.#retryLater(job, error, failures, { phase: 'poll' });
    }
    if (operation !== null) await cancelAtProvider(this.#runtime, resolved, operation, key);
    await repo.finishAttempt(attempt.id, {
      status: error.errorClass === 'rate_limited' ? 'rate_limited' : 'failed',
      error: toErrorRecord(error),
    });
    if (keepPolling) return this.#next(job, error);
    return this.#afterFailure(job, error, key);
  }

  async #afterFailure(job: JobRecord, error: ProviderError, key: ProviderKey | undefined): Promise<Outcome> {
    const { keys, settings, repo } = this.#runtime;
    const target = job.targets[job.targetIndex];
    const provider = target?.provider ?? 'unknown';
    const pool = keys.poolFor(provider, job.request.pool);
    if (error.errorClass === 'rate_limited') {
      // Not a failed attempt: cool this key down and go on with another, or wait for it.
      const limited = (await repo.listAttempts(job.id)).filter((attempt) => attempt.status === 'rate_limited').length;
      if (limited >= maxRateLimited) return this.#next(job, error);
      const backoff = backoffDelay(limited, { baseMs: Math.max(settings.retryBaseMs, minRateLimitWaitMs), maxMs: maxRetryDelayMs });
      const waitMs = Math.max(minRateLimitWaitMs, error.retryAfterMs ?? backoff);
      // Fleet-wide: no process sends on this key before Retry-After.
      if (key) await keys.coolDown(provider, key.id, waitMs);
      // A provider that asks for more than a few minutes is as good as down for this job.
      if (waitMs > maxRetryDelayMs && !(await keys.status(provider, pool)).ready && job.targets[job.targetIndex + 1] !== undefined) {
        return this.#next(job, error);
      }
      await this.#event(job.id, 'rate_limited', { provider, keyId: key?.id ?? null, retryAfterMs: waitMs });
      // Another key now, or this one's earliest slot: the key choice waits for it.
      if (key) return { type: 'next-key' };
      return { type: 'delay', ms: waitMs };
    }
    if (error.errorClass === 'auth' && key) {
      await keys.disable(provider, key.id, error.message);
      engineMetrics(this.#runtime).keyRejected(provider, key.id);
      await this.#event(job.id, 'key_error', { provider, keyId: key.id, status: error.status ?? null });
      this.#runtime.logger.error({ jobId: job.id, provider, keyId: key.id }, 'provider key rejected; disabled');
      if ((await keys.status(provider, pool)).enabled) return { type: 'next-key' };
    }
    if (error.isRetryable) {
      const failures = job.attemptCount + 1;
      if (failures < settings.maxAttempts) return this.#retryLater(job, error, failures, {});
    }
    return this.#next(job, error);
  }

  async #retryLater(job: JobRecord, error: ProviderError, failures: number, extra: JobEvent['data']): Promise<Outcome> {
    const delayMs = backoffDelay(failures, { baseMs: this.#runtime.settings.retryBaseMs, maxMs: maxRetryDelayMs, retryAfterMs: error.retryAfterMs });
    await this.#event(job.id, 'retrying', { error: { ...toErrorRecord(error) }, delayMs, attempt: failures, ...extra }, { attemptCount: failures });
    return { type: 'delay', ms: delayMs };
  }

  /**
   * A queued job whose provider's circuit is open moves on to its next target without an
   * attempt. Its last target runs anyway: trying beats failing unasked.
   */
  async #skipOpenCircuit(payload: QueuePayload): Promise<boolean> {
    if (payload.provider === undefined || (await routing(this.#runtime).breakers.allow(payload.provider))) return false;
    const job = await this.#runtime.repo.getJob(payload.jobId);
    if (job === undefined || job.status !== 'queued' || job.targetIndex !== payload.targetIndex) return false;
    if (job.targets[job.targetIndex + 1] === undefined) return false;
    await this.#next(job, circuitOpenError(payload.provider));
    return true;
  }

  /** The current target is done for: the next one, or the job fails. */
  async #next(job: JobRecord, error: ProviderError): Promise<Outcome> {
    const record = toErrorRecord(error);
    const target = job.targets[job.targetIndex];
    const nextIndex = job.targetIndex + 1;
    const next = job.targets[nextIndex];
    // Invalid input fails the same way everywhere; other failures try the next target.
    if (next === undefined || error.errorClass === 'invalid_input') return this.#fail(job, record);
    // Enqueued before the database moves on: a crash in between leaves an entry that waits for
    // the record (see #run), never a job that nobody runs.
    await this.#runtime.queues.enqueue(
      next.provider,
      { jobId: job.id, targetIndex: nextIndex, provider: next.provider, model: next.model, pool: this.#runtime.keys.poolFor(next.provider, job.request.pool) },
      { priority: job.priority },
    );
    await this.#event(
      job.id,
      'fallback',
      { from: `${target?.provider}/${target?.model}`, to: `${next.provider}/${next.model}`, error: { ...record } },
      { targetIndex: nextIndex, attemptCount: 0 },
    );
    return { type: 'done' };
  }

  /** The job as it is now, after a key ran out; undefined when it is gone or already ended. */
  async #liveJob(jobId: string): Promise<JobRecord | undefined> {
    const job = await this.#runtime.repo.getJob(jobId);
    return job === undefined || isTerminal(job.status) ? undefined : job;
  }

  async #fail(job: JobRecord, error: ErrorRecord): Promise<Outcome> {
    const failed = await this.#runtime.repo.failJob(job.id, error);
    if (failed !== undefined) engineMetrics(this.#runtime).jobFailed(job.kind, job.targets[job.targetIndex]?.provider ?? 'none');
    if (failed !== undefined) await settleJob(this.#runtime, job.id, job.tenantId);
    await this.#runtime.bus.publish(failed?.event);
    return { type: 'done' };
  }

  async #event(jobId: string, type: JobEvent['type'], data: JobEvent['data'], patch?: JobPatch): Promise<void> {
    await this.#runtime.bus.publish(await this.#runtime.repo.appendEvent(jobId, type, data, patch));
  }
}
