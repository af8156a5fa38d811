// What every OpenAI-compatible route shares: the runtime, the live-event hub the synchronous
// routes wait on, model defaults and limits; plus the wait-then-read step those routes end with.
import type { FastifyReply } from 'fastify';
import type { AssetRecord, JobRecord } from '@mediagate/db';
import type { Runtime } from '@mediagate/engine';
import type { EventHub } from '../event-hub.ts';
import type { FormLimits } from './form.ts';
import { hangUpSignal, waitForJob } from './job-wait.ts';
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
export async function awaitOutputs(context: OpenAiContext, job: JobRecord, reply: FastifyReply): Promise<AssetRecord[] | undefined> {
  const signal = hangUpSignal(reply.raw);
  const result = await waitForJob(context.runtime, context.hub, job, { timeoutMs: context.waitTimeoutMs, signal });
  if (signal.aborted) return undefined;
  if (result.succeeded || result.job.status === 'succeeded') return context.runtime.repo.listJobAssets(job.id);
  const done = result.job;
  const failure = done.status === 'failed' || done.status === 'canceled' ? jobFailure(done) : waitTimeout(done, context.waitTimeoutMs);
  await reply.status(failure.status).type('application/json; charset=utf-8').send(failure.body);
  return undefined;
}

/** An asset's bytes in memory (images for b64_json; they are a few MB at most). */
export async function readAsset(runtime: Runtime, asset: AssetRecord): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of runtime.store.createReadStream(asset.storageKey)) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
