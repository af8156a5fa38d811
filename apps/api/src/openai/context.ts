// What every OpenAI-compatible route shares: the runtime, the live-event hub the synchronous
// routes wait on, model defaults and limits; plus the wait-then-read step those routes end with.
import type { FastifyReply } from 'fastify';
import type { JobRecord, NewAsset } from '@mediagate/db';
import type { GenerationRequestInput } from '@mediagate/core';
import { outputBytes, submitOrReplayJob, type Outcome, type Runtime } from '@mediagate/engine';
import type { EventHub } from '../event-hub.ts';
import type { FormLimits } from './form.ts';
import { HangUp, waitForJob } from './job-wait.ts';
import type { OpenAiDefaults } from './models.ts';
import { jobFailure, waitTimeout } from './openai-errors.ts';

export interface OpenAiContext {
  runtime: Runtime;
  hub: EventHub;
  defaults: OpenAiDefaults;
  /** How long a synchronous route (images, speech) waits for its job. */
  waitTimeoutMs: number;
  limits: FormLimits;
}

/**
 * Waits for `job` and returns its outputs. When it failed, timed out or the client hung up, the
 * error answer has been sent (or there is no one left to send it to) and the result is undefined.
 */
export async function awaitOutputs(context: OpenAiContext, submitted: Submitted, reply: FastifyReply): Promise<NewAsset[] | undefined> {
  const { job, ran } = submitted;
  const hangUp = new HangUp(reply.raw);
  const deadline = Date.now() + context.waitTimeoutMs;
  // Run in this process: its end is the wait's end, unless it handed the job to the queue.
  const settled = ran === undefined ? undefined : await untilSettled(ran, context.waitTimeoutMs, hangUp);
  if (settled?.type === 'done' && settled.succeeded === true && !hangUp.hungUp) {
    // The run here stored them with the job's completion: no need to read them back.
    return settled.outputs ?? context.runtime.repo.listJobAssets(job.id);
  }
  const result = await waitForJob(context.runtime, context.hub, job, { timeoutMs: Math.max(0, deadline - Date.now()), hangUp });
  if (hangUp.hungUp) return undefined;
  if (result.succeeded || result.job.status === 'succeeded') return context.runtime.repo.listJobAssets(job.id);
  const done = result.job;
  const failure = done.status === 'failed' || done.status === 'canceled' ? jobFailure(done) : waitTimeout(done, context.waitTimeoutMs);
  await reply.status(failure.status).type('application/json; charset=utf-8').send(failure.body);
  return undefined;
}

/** A job as submitted for a synchronous answer: `ran` when it runs in this process. */
export interface Submitted {
  job: JobRecord;
  ran?: Promise<Outcome> | undefined;
}

/**
 * Submits for a route that waits for the job: run in this process when it can be. The caller
 * learns of the job only from its end, so its insert need not wait for the disk (`awaited`).
 */
export function submitToWait(context: OpenAiContext, tenantId: string, input: GenerationRequestInput): Promise<Submitted> {
  return submitOrReplayJob(context.runtime, tenantId, input, { runHere: true, awaited: true });
}

/** How the run ended, or undefined when the time ran out or the caller left first. */
function untilSettled(ran: Promise<Outcome>, timeoutMs: number, hangUp: HangUp): Promise<Outcome | undefined> {
  // Callbacks rather than a race against a second promise: this runs for every request.
  return new Promise((resolve, reject) => {
    const end = (outcome?: Outcome): void => {
      clearTimeout(timer);
      hangUp.off(end);
      resolve(outcome);
    };
    const timer = setTimeout(end, timeoutMs);
    hangUp.on(end);
    ran.then(end, (error: unknown) => {
      reject(error);
      end();
    });
  });
}

/**
 * An asset's bytes in memory (images for b64_json; they are a few MB at most): the ones a run
 * here just stored when it still holds them, else read from the store.
 */
export async function readAsset(runtime: Runtime, asset: NewAsset): Promise<Buffer> {
  const held = outputBytes(asset);
  if (held) return Buffer.from(held.buffer, held.byteOffset, held.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of runtime.store.createReadStream(asset.storageKey)) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
