// One attempt against one provider: timers, scratch space and progress for the call, then
// submit (or resume polling a stored handle), poll, store the outputs and complete the job.
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError, isTerminal, toErrorRecord } from '@mediagate/core';
import type { AttemptRecord, JobEvent, JobRecord, NewAsset } from '@mediagate/db';
import type { CallContext, JsonValue, ProviderKey, ProviderOutput, ProviderRequest, ResolvedTarget } from '@mediagate/providers';
import { engineMetrics } from './metrics.ts';
import { storeOutputs } from './outputs.ts';
import type { Runtime } from './runtime.ts';

/** How an attempt ended, for the runner to decide what comes next. */
export type AttemptResult =
  /** `assets`: the outputs as stored with the job's completion. */
  | { type: 'succeeded'; assets: NewAsset[] }
  | { type: 'canceled' }
  /** The job turned terminal elsewhere (e.g. canceled) while the provider worked. */
  | { type: 'gone' }
  /** Failed; `operation` is the provider's handle when one was stored (the work may go on there). */
  | { type: 'failed'; error: ProviderError; operation: JsonValue | null }
  /** A failure of Mediagate itself (a bug, a refused write): never retried against the provider. */
  | { type: 'internal'; error: unknown; operation: JsonValue | null };

export class CancelRequested extends Error {
  override readonly name = 'CancelRequested';
}

const progressIntervalMs = 250;
/** Every this many polls, the job's state is read again: a cancel whose message was missed still stops the work. */
const pollsPerStatusCheck = 10;
/** setTimeout's largest delay; longer timeouts would fire at once. */
const maxTimerMs = 2_147_483_647;

export interface AttemptInput {
  job: JobRecord;
  resolved: ResolvedTarget;
  request: ProviderRequest;
  attempt: AttemptRecord;
  /** Whether the provider already accepted it (resume polling) or it still has to be sent. */
  submitted: boolean;
  key: ProviderKey | undefined;
  cancel: AbortSignal;
}

export async function runAttempt(runtime: Runtime, input: AttemptInput): Promise<AttemptResult> {
  const { job, resolved, request, attempt, key, cancel } = input;
  const { repo, settings, bus } = runtime;
  const { adapter, target } = resolved;
  const limitMs = settings.attemptTimeoutMs ?? adapter.attemptTimeoutMs;
  const remainingMs = Math.min(maxTimerMs, Math.max(1, limitMs - (Date.now() - attempt.startedAt.getTime())));
  // One controller per attempt, released in `finally`: AbortSignal.any and .timeout keep every
  // signal alive until it fires, which at thousands of attempts is memory and GC time.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new ProviderError('timeout', `attempt timed out after ${limitMs} ms`));
  }, remainingMs);
  const onCancel = () => controller.abort(cancel.reason);
  if (cancel.aborted) onCancel();
  else cancel.addEventListener('abort', onCancel);
  // Most attempts never need scratch space (bytes come back in the answer): named and made on first use.
  let scratch: string | undefined;
  const makeScratch = (): string => {
    if (scratch === undefined) {
      const made = path.join(settings.home, 'tmp', attempt.id);
      mkdirSync(made, { recursive: true });
      scratch = made;
    }
    return scratch;
  };
  const ctx: CallContext = {
    signal: controller.signal,
    key,
    get tmpDir() {
      return makeScratch();
    },
    progress: progressReporter(runtime, job.id),
  };
  let operation = attempt.operation as JsonValue | null;
  try {
    let completed: { outputs: ProviderOutput[]; costUsd?: number | undefined } | undefined;
    if (!input.submitted) {
      const submitted = await adapter.submit(request, ctx);
      if (submitted.status === 'pending') {
        operation = submitted.operation;
        const event = await repo.markAttemptPending(attempt.id, submitted.operation);
        // No event: the job ended meanwhile (canceled); stop the provider's work too.
        if (event === undefined) return await gone(runtime, resolved, operation, key, attempt.id);
        void bus.publish(event);
      } else {
        completed = submitted;
      }
    }
    for (let polls = 1; completed === undefined; polls++) {
      if (adapter.poll === undefined || operation === null) {
        throw new ProviderError('malformed', `${adapter.id} returned an operation but cannot be polled`);
      }
      await sleep(adapter.pollIntervalMs ?? 1000, undefined, { signal: controller.signal });
      if (polls % pollsPerStatusCheck === 0) {
        const current = await repo.getJob(job.id);
        if (current === undefined || isTerminal(current.status)) return await gone(runtime, resolved, operation, key, attempt.id);
      }
      const polled = await adapter.poll(operation, ctx);
      if (polled.status === 'completed') completed = polled;
      else ctx.progress(polled);
    }
    const { assets, flushed } = await storeOutputs(runtime, job, completed.outputs, makeScratch, controller.signal);
    // Without a reported cost, this target's own estimate: after a fallback the job's first
    // estimate priced a different model.
    const costUsd = completed.costUsd ?? resolved.spec.estimate(request).usd;
    // The outputs are in place: the completion commits while they flush to disk, and nobody
    // hears of it (event, outcome, answer) before both are done.
    const [done] = await Promise.all([
      completeWithRetries(runtime, job.id, {
        provider: target.provider,
        model: target.model,
        assets,
        actualCostUsd: costUsd,
        attempt: { id: attempt.id, costUsd },
      }),
      flushed,
    ]);
    if (done === undefined) return await gone(runtime, resolved, null, key, attempt.id);
    engineMetrics(runtime).jobSucceeded(job.kind, target, costUsd);
    // Not waited for: events go out in order on one connection (see the runner).
    void bus.publish(done.event);
    return { type: 'succeeded', assets };
  } catch (caught) {
    if (cancel.aborted) {
      await repo.finishAttempt(attempt.id, { status: 'canceled', error: { class: 'canceled', message: 'canceled' } });
      await cancelAtProvider(runtime, resolved, operation, key);
      return { type: 'canceled' };
    }
    if (caught instanceof ProviderError) return { type: 'failed', error: caught, operation };
    if (timedOut) return { type: 'failed', error: new ProviderError('timeout', `attempt timed out after ${limitMs} ms`, { cause: caught }), operation };
    return { type: 'internal', error: caught, operation };
  } finally {
    clearTimeout(timer);
    cancel.removeEventListener('abort', onCancel);
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The outputs are paid for and stored: a passing database error must not throw them away. The
 * statement is safe to repeat (a job already completed answers undefined and writes nothing).
 */
async function completeWithRetries(
  runtime: Runtime,
  jobId: string,
  result: Parameters<Runtime['repo']['completeJob']>[1],
): ReturnType<Runtime['repo']['completeJob']> {
  for (let tries = 1; ; tries++) {
    try {
      return await runtime.repo.completeJob(jobId, result);
    } catch (error) {
      if (tries >= 3) throw error;
      runtime.logger.warn({ jobId, err: String(error) }, 'completing the job failed; trying again');
      await sleep(200 * tries);
    }
  }
}

async function gone(
  runtime: Runtime,
  resolved: ResolvedTarget,
  operation: JsonValue | null,
  key: ProviderKey | undefined,
  attemptId: string,
): Promise<AttemptResult> {
  await cancelAtProvider(runtime, resolved, operation, key);
  await runtime.repo.finishAttempt(attemptId, { status: 'canceled', error: { class: 'canceled', message: 'the job ended while the provider worked' } });
  return { type: 'gone' };
}

/** Best effort: stops work the provider would otherwise finish (and bill) for nobody. */
export async function cancelAtProvider(
  runtime: Runtime,
  resolved: ResolvedTarget,
  operation: JsonValue | null,
  key: ProviderKey | undefined,
): Promise<void> {
  if (operation === null || resolved.adapter.cancel === undefined) return;
  try {
    // Its own short deadline: the attempt's signal is usually the reason we are here, aborted.
    await resolved.adapter.cancel(operation, { signal: AbortSignal.timeout(10_000), key, tmpDir: os.tmpdir(), progress: () => {} });
  } catch (error) {
    runtime.logger.warn({ provider: resolved.adapter.id, err: toErrorRecord(error) }, 'provider cancel failed');
  }
}

/** Progress events at most every 250 ms (and always at 100), so chatty providers don't flood the log. */
function progressReporter(runtime: Runtime, jobId: string): CallContext['progress'] {
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
    void runtime.repo
      .appendEvent(jobId, 'progress', data, progress === undefined ? undefined : { progress })
      .then((event) => runtime.bus.publish(event))
      .catch((error: unknown) => runtime.logger.warn({ jobId, err: toErrorRecord(error) }, 'progress event failed'));
  };
}
