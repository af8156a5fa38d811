// The attempt runner: takes one queue entry, runs (or resumes) an attempt against the job's
// current target and decides what happens next — done, retry later, rotate key, fall back, fail.
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job } from 'bullmq';
import {
  ProviderError,
  isTerminal,
  newId,
  toErrorRecord,
  type ErrorRecord,
} from '@mediagate/core';
import type { AttemptRecord, JobEvent, JobRecord } from '@mediagate/db';
import type { CallContext, JsonValue, ProviderKey, ProviderRequest, ResolvedTarget } from '@mediagate/providers';
import { backoffDelay } from './backoff.ts';
import { storeOutputs } from './outputs.ts';
import type { QueuePayload } from './queues.ts';
import type { Runtime } from './runtime.ts';
import { loadImages } from './submit.ts';
import { toProviderRequest } from './targets.ts';

interface Claimed {
  type: 'started';
  job: JobRecord;
  attempt: AttemptRecord;
  key: ProviderKey | undefined;
  resolved: ResolvedTarget;
}

/** What to do with the queue entry after an attempt. */
type Outcome = { type: 'done' } | { type: 'delay'; ms: number } | { type: 'next-key' };

class CancelRequested extends Error {
  override readonly name = 'CancelRequested';
}

const maxRetryDelayMs = 5 * 60_000;
const progressIntervalMs = 250;

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
    const outcome = await this.run(entry.data);
    if (outcome.type === 'delay') {
      await entry.moveToDelayed(Date.now() + outcome.ms, token);
      throw new DelayedError();
    }
  }

  async run(payload: QueuePayload): Promise<Outcome> {
    const { repo } = this.#runtime;
    const claimed = await this.#claim(payload);
    if (claimed?.type === 'started') return this.#guarded(claimed.job, (cancel) => this.#runStarted(claimed, cancel));
    const job = claimed?.type === 'job' ? claimed.job : await repo.getJob(payload.jobId);
    if (job === undefined || isTerminal(job.status)) return { type: 'done' };
    // A fallback hop is enqueued before the database records it; wait for the record.
    if (payload.targetIndex > job.targetIndex) return { type: 'delay', ms: 250 };
    if (payload.targetIndex < job.targetIndex) return { type: 'done' };
    return this.#guarded(job, (cancel) => this.#runTarget(job, cancel));
  }

  /** Runs `work` with a cancel signal that `cancelRunning(job.id)` aborts. */
  async #guarded(job: JobRecord, work: (cancel: AbortSignal) => Promise<Outcome>): Promise<Outcome> {
    const controller = new AbortController();
    this.#running.set(job.id, controller);
    try {
      return await work(controller.signal);
    } finally {
      this.#running.delete(job.id);
    }
  }

  /**
   * The common case in one write: a queued job on this entry's target becomes running with its
   * first attempt. Anything else (a resumed, retried or finished job) comes back as the job.
   */
  async #claim(payload: QueuePayload): Promise<Claimed | { type: 'job'; job: JobRecord } | undefined> {
    const { provider, model } = payload;
    if (provider === undefined || model === undefined) return undefined;
    const adapter = this.#runtime.providers.get(provider);
    const spec = adapter?.models.find((candidate) => candidate.id === model);
    if (adapter === undefined || spec === undefined) return undefined;
    const choice = this.#runtime.keys.choose(provider);
    if (choice.type !== 'key' && choice.type !== 'none') return undefined;
    const key = choice.type === 'key' ? choice.key : undefined;
    const claim = await this.#runtime.repo.claimJob({
      attemptId: newId('att'),
      jobId: payload.jobId,
      targetIndex: payload.targetIndex,
      provider,
      model,
      keyId: key?.id ?? null,
    });
    if (claim === undefined) return undefined;
    if (claim.attempt === undefined) {
      // Still "queued" means the row was read from the statement's snapshot while another
      // claim held it: read it again now that the other one committed.
      if (claim.job.status === 'queued') return undefined;
      return { type: 'job', job: claim.job };
    }
    await this.#runtime.bus.publish(claim.event);
    return { type: 'started', job: claim.job, attempt: claim.attempt, key, resolved: { adapter, spec, target: { provider, model } } };
  }

  async #runStarted(claimed: Claimed, cancel: AbortSignal): Promise<Outcome> {
    const { job } = claimed;
    const images = await loadImages(this.#runtime, job.tenantId, job.request.image_asset_ids ?? []);
    const request = toProviderRequest(job.request, claimed.resolved.target, images);
    const outcome = await this.#attempt(job, claimed.resolved, request, claimed.key, cancel, { attempt: claimed.attempt, submitted: false });
    if (outcome.type !== 'next-key') return outcome;
    const fresh = await this.#runtime.repo.getJob(job.id);
    if (fresh === undefined || isTerminal(fresh.status)) return { type: 'done' };
    return this.#runTarget(fresh, cancel);
  }

  async #runTarget(job: JobRecord, cancel: AbortSignal): Promise<Outcome> {
    const { repo, providers, keys, settings } = this.#runtime;
    const target = job.targets[job.targetIndex];
    if (target === undefined) return this.#fail(job, { class: 'internal', message: 'job has no target left' });
    const resolved = providers.resolve(target);
    const images = await loadImages(this.#runtime, job.tenantId, job.request.image_asset_ids ?? []);
    const request = toProviderRequest(job.request, target, images);

    const last = job.status === 'queued' ? undefined : (await repo.listAttempts(job.id)).at(-1);
    if (last?.status === 'pending' && last.provider === target.provider && last.model === target.model) {
      // A worker died while the provider was working: resume polling the stored handle.
      const key = last.keyId === null ? undefined : keys.find(target.provider, last.keyId);
      const outcome = await this.#attempt(job, resolved, request, key, cancel, { attempt: last, submitted: true });
      if (outcome.type !== 'next-key') return outcome;
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
      const choice = keys.choose(target.provider);
      if (choice.type === 'wait') {
        await this.#event(job.id, 'rate_limited', { provider: target.provider, retryAtMs: choice.at });
        return { type: 'delay', ms: Math.max(0, choice.at - Date.now()) };
      }
      if (choice.type === 'exhausted') {
        return this.#afterFailure(job, new ProviderError('auth', `every ${target.provider} key is disabled: ${choice.reason}`), undefined);
      }
      const key = choice.type === 'key' ? choice.key : undefined;
      const outcome = await this.#attempt(job, resolved, request, key, cancel, undefined);
      if (outcome.type !== 'next-key') return outcome;
      const fresh = await repo.getJob(job.id);
      if (fresh === undefined || isTerminal(fresh.status)) return { type: 'done' };
      job = fresh;
    }
  }

  async #attempt(
    job: JobRecord,
    resolved: ResolvedTarget,
    request: ProviderRequest,
    key: ProviderKey | undefined,
    cancel: AbortSignal,
    /** An attempt already recorded: just started (submit it) or submitted (poll it). */
    existing: { attempt: AttemptRecord; submitted: boolean } | undefined,
  ): Promise<Outcome> {
    const { repo, keys, settings, bus } = this.#runtime;
    const { adapter, target } = resolved;
    let attempt = existing?.attempt;
    if (attempt === undefined) {
      const started = await repo.startAttempt({ id: newId('att'), jobId: job.id, provider: target.provider, model: target.model, keyId: key?.id ?? null });
      if (started === undefined) return { type: 'done' };
      await bus.publish(started.event);
      attempt = started.attempt;
    }
    const limitMs = settings.attemptTimeoutMs ?? adapter.attemptTimeoutMs;
    const remainingMs = Math.max(1, limitMs - (Date.now() - attempt.startedAt.getTime()));
    // One controller per attempt, released in `finally`: AbortSignal.any and .timeout keep every
    // signal alive until it fires, which at thousands of attempts is memory and GC time.
    const attemptController = new AbortController();
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort(new ProviderError('timeout', `attempt timed out after ${limitMs} ms`));
      attemptController.abort(timeout.signal.reason);
    }, remainingMs);
    const onCancel = () => attemptController.abort(cancel.reason);
    if (cancel.aborted) onCancel();
    else cancel.addEventListener('abort', onCancel, { once: true });
    const signal = attemptController.signal;
    // Most attempts never need scratch space (bytes come back in the answer): make it on first use.
    const scratch = path.join(this.#runtime.settings.home, 'tmp', attempt.id);
    let scratchMade = false;
    const makeScratch = (): string => {
      if (!scratchMade) mkdirSync(scratch, { recursive: true });
      scratchMade = true;
      return scratch;
    };
    const ctx: CallContext = {
      signal,
      key,
      get tmpDir() {
        return makeScratch();
      },
      progress: this.#progressReporter(job.id),
    };
    let operation: JsonValue | null = attempt.operation as JsonValue | null;
    if (key) keys.acquire(target.provider, key.id);
    try {
      let completed: { outputs: Parameters<typeof storeOutputs>[2]; costUsd?: number | undefined } | undefined;
      if (existing?.submitted !== true) {
        const submitted = await adapter.submit(request, ctx);
        if (submitted.status === 'pending') {
          operation = submitted.operation;
          await bus.publish(await repo.markAttemptPending(attempt.id, submitted.operation));
        } else {
          completed = submitted;
        }
      }
      while (completed === undefined) {
        if (adapter.poll === undefined || operation === null) {
          throw new ProviderError('malformed', `${adapter.id} returned an operation but cannot be polled`);
        }
        await sleep(adapter.pollIntervalMs ?? 1000, undefined, { signal });
        const polled = await adapter.poll(operation, ctx);
        if (polled.status === 'completed') completed = polled;
        else ctx.progress(polled);
      }
      const assets = await storeOutputs(this.#runtime, job, completed.outputs, makeScratch, signal);
      const costUsd = completed.costUsd ?? job.estimatedCostUsd;
      const done = await repo.completeJob(job.id, {
        provider: target.provider,
        model: target.model,
        assets,
        actualCostUsd: costUsd,
        attempt: { id: attempt.id, costUsd },
      });
      await bus.publish(done?.event);
      return { type: 'done' };
    } catch (caught) {
      const error = this.#classify(caught, cancel, timeout.signal, limitMs);
      if (error === 'internal') {
        // Not the provider's failure but ours (a bug, a database refusing a write): retrying
        // could pay the provider again, so the job fails loudly instead.
        const record: ErrorRecord = { class: 'internal', message: caught instanceof Error ? caught.message : String(caught) };
        this.#runtime.logger.error({ jobId: job.id, attemptId: attempt.id, err: caught }, 'attempt failed inside Mediagate');
        await repo.finishAttempt(attempt.id, { status: 'failed', error: record });
        return this.#fail(job, record);
      }
      if (error === 'canceled') {
        await repo.finishAttempt(attempt.id, { status: 'canceled', error: { class: 'canceled', message: 'canceled' } });
        await this.#cancelAtProvider(resolved, operation, ctx);
        return { type: 'done' };
      }
      if (error.errorClass === 'timeout' && operation !== null) await this.#cancelAtProvider(resolved, operation, ctx);
      await repo.finishAttempt(attempt.id, {
        status: error.errorClass === 'rate_limited' ? 'rate_limited' : 'failed',
        error: toErrorRecord(error),
      });
      return this.#afterFailure(job, error, key);
    } finally {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
      if (key) keys.release(target.provider, key.id);
      if (scratchMade) await rm(scratch, { recursive: true, force: true });
    }
  }

  #classify(caught: unknown, cancel: AbortSignal, timeout: AbortSignal, limitMs: number): ProviderError | 'canceled' | 'internal' {
    if (cancel.aborted) return 'canceled';
    if (caught instanceof ProviderError) return caught;
    if (timeout.aborted) return new ProviderError('timeout', `attempt timed out after ${limitMs} ms`, { cause: caught });
    return 'internal';
  }

  async #afterFailure(job: JobRecord, error: ProviderError, key: ProviderKey | undefined): Promise<Outcome> {
    const { keys, settings } = this.#runtime;
    const target = job.targets[job.targetIndex];
    const provider = target?.provider ?? 'unknown';
    const record = toErrorRecord(error);
    if (error.errorClass === 'rate_limited') {
      // Not a failed attempt: cool this key down and go on with another, or wait for it.
      const waitMs = error.retryAfterMs ?? backoffDelay(1, { baseMs: settings.retryBaseMs, maxMs: maxRetryDelayMs });
      if (key) keys.coolDown(provider, key.id, Date.now() + waitMs);
      await this.#event(job.id, 'rate_limited', { provider, keyId: key?.id ?? null, retryAfterMs: waitMs });
      if (key && keys.choose(provider).type === 'key') return { type: 'next-key' };
      return { type: 'delay', ms: waitMs };
    }
    if (error.errorClass === 'auth' && key) {
      keys.disable(provider, key.id, error.message);
      this.#runtime.logger.error({ jobId: job.id, provider, keyId: key.id }, 'provider key rejected; disabled');
      if (keys.choose(provider).type === 'key') return { type: 'next-key' };
    }
    if (error.isRetryable) {
      const failures = job.attemptCount + 1;
      if (failures < settings.maxAttempts) {
        const delayMs = backoffDelay(failures, { baseMs: settings.retryBaseMs, maxMs: maxRetryDelayMs, retryAfterMs: error.retryAfterMs });
        await this.#event(job.id, 'retrying', { error: { ...record }, delayMs, attempt: failures }, { attemptCount: failures });
        return { type: 'delay', ms: delayMs };
      }
    }
    const nextIndex = job.targetIndex + 1;
    const next = job.targets[nextIndex];
    // Invalid input fails the same way everywhere; other failures try the next target.
    if (next !== undefined && error.errorClass !== 'invalid_input') {
      await this.#runtime.queues.enqueue(
        next.provider,
        { jobId: job.id, targetIndex: nextIndex, provider: next.provider, model: next.model },
        { priority: job.priority },
      );
      await this.#event(job.id, 'fallback', { from: `${provider}/${target?.model}`, to: `${next.provider}/${next.model}`, error: { ...record } }, {
        targetIndex: nextIndex,
        attemptCount: 0,
      });
      return { type: 'done' };
    }
    return this.#fail(job, record);
  }

  async #fail(job: JobRecord, error: ErrorRecord): Promise<Outcome> {
    const failed = await this.#runtime.repo.failJob(job.id, error);
    await this.#runtime.bus.publish(failed?.event);
    return { type: 'done' };
  }

  async #cancelAtProvider(resolved: ResolvedTarget, operation: JsonValue | null, ctx: CallContext): Promise<void> {
    if (operation === null || resolved.adapter.cancel === undefined) return;
    try {
      await resolved.adapter.cancel(operation, { ...ctx, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      this.#runtime.logger.warn({ provider: resolved.adapter.id, err: toErrorRecord(error) }, 'provider cancel failed');
    }
  }

  async #event(jobId: string, type: JobEvent['type'], data: JobEvent['data'], patch?: Parameters<Runtime['repo']['appendEvent']>[3]): Promise<void> {
    await this.#runtime.bus.publish(await this.#runtime.repo.appendEvent(jobId, type, data, patch));
  }

  /** Progress events at most every 250 ms (and always at 100), so chatty providers don't flood the log. */
  #progressReporter(jobId: string): CallContext['progress'] {
    let lastAt = 0;
    let lastProgress = -1;
    return (update) => {
      const now = Date.now();
      const progress = update.progress === undefined ? undefined : Math.max(0, Math.min(100, Math.round(update.progress)));
      if (progress === lastProgress && update.message === undefined && update.queuePosition === undefined) return;
      if (now - lastAt < progressIntervalMs && progress !== 100) return;
      lastAt = now;
      if (progress !== undefined) lastProgress = progress;
      const data: JobEvent['data'] = {};
      if (progress !== undefined) data.progress = progress;
      if (update.message !== undefined) data.message = update.message;
      if (update.queuePosition !== undefined) data.queuePosition = update.queuePosition;
      void this.#event(jobId, 'progress', data, progress === undefined ? undefined : { progress }).catch((error: unknown) =>
        this.#runtime.logger.warn({ jobId, err: toErrorRecord(error) }, 'progress event failed'),
      );
    };
  }
}
