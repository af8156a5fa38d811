// The producer side of a job: validate the request against every target's capabilities,
// estimate its cost, persist it and enqueue it. Bad input throws before anything is written;
// reference images by URL are fetched and checked here, so workers only ever load stored assets.
import {
  InputError,
  generationRequestSchema,
  newId,
  parseInput,
  type GenerationRequest,
  type Target,
} from '@mediagate/core';
import type { AttemptRecord, JobRecord } from '@mediagate/db';
import type { CostEstimate, ImageInput } from '@mediagate/providers';
import { publicAssetUrl } from './asset-links.ts';
import { fetchImageUrls, importImageFile, type FetchedImages } from './assets.ts';
import { checkMaskImage, loadMask, loadRemixSource, remixedRequest, type ProviderInputs } from './inputs.ts';
import { checkPool } from './limits/pools.ts';
import { checkPricesKnown, reserveBudget, settleJob } from './budgets/budgets.ts';
import { applyPreset } from './presets/presets.ts';
import { checkModelNames, planRoute, type RoutePlan } from './routing/plan.ts';
import type { QueuePayload } from './queues.ts';
import type { Outcome, RunTicket } from './outcome.ts';
import type { Runtime } from './runtime.ts';
import { checkJobWebhookUrl } from './webhooks/endpoints.ts';

export interface JobPlan {
  request: GenerationRequest;
  targets: Target[];
  images: ImageInput[];
  /** The mask and remix source the request names, as its targets were checked with. */
  inputs: ProviderInputs;
  estimate: CostEstimate;
  /** How `model` was resolved: route, strategy, every target's estimate, fan-out. */
  route: RoutePlan;
}

/**
 * Loads the reference images a request names, from the caller's tenant only. With `linkSeconds`
 * (the worker's attempt) each also gets a signed link of that lifetime when MEDIAGATE_PUBLIC_URL is set.
 */
export async function loadImages(runtime: Runtime, tenantId: string, assetIds: readonly string[], linkSeconds?: number): Promise<ImageInput[]> {
  return Promise.all(
    assetIds.map(async (id, index) => {
      const asset = await runtime.repo.getAsset(id, tenantId);
      const field = `image_asset_ids[${index}]`;
      if (asset === undefined) throw new InputError(`${field}: asset "${id}" not found`, { field, status: 404, code: 'not_found' });
      if (asset.kind !== 'image' || asset.width === null || asset.height === null) {
        throw new InputError(`${field}: asset "${id}" is ${asset.mime}, not an image`, { field });
      }
      const url = linkSeconds === undefined ? undefined : publicAssetUrl(runtime.settings, runtime.secrets, asset.id, linkSeconds);
      return { path: await runtime.store.localPath(asset.storageKey), mime: asset.mime, width: asset.width, height: asset.height, ...(url ? { url } : {}) };
    }),
  );
}

/** Reference images in all, from image_asset_ids and image_urls together. */
const maxImages = 16;

/**
 * planJob's checks; images from image_urls come back in `fetched` as scratch files (every URL
 * fetched and probed, nothing stored yet), for the caller to import or discard.
 */
async function prepareJob(
  runtime: Runtime,
  tenantId: string,
  input: unknown,
  images?: ImageInput[],
  maskFile?: ImageInput,
): Promise<JobPlan & { fetched?: FetchedImages }> {
  let request = parseInput(generationRequestSchema, await applyPreset(runtime, tenantId, input));
  const urls = images === undefined ? (request.image_urls ?? []) : [];
  if ((request.image_asset_ids?.length ?? 0) + urls.length > maxImages) {
    throw new InputError(`image_urls: at most ${maxImages} reference images in all, counting image_asset_ids`, { field: 'image_urls' });
  }
  const remix = request.remix_of === undefined ? undefined : await loadRemixSource(runtime, tenantId, request.remix_of, request.kind);
  if (remix) request = remixedRequest(request, remix);
  checkModelNames(runtime, request);
  if (request.webhook_url !== undefined) await checkJobWebhookUrl(runtime, tenantId, request.webhook_url);
  const mask = maskFile ?? (request.mask_asset_id === undefined ? undefined : await loadMask(runtime, tenantId, request.mask_asset_id));
  const storedImages = images ?? (await loadImages(runtime, tenantId, request.image_asset_ids ?? []));
  const fetched = urls.length > 0 ? await fetchImageUrls(runtime, urls) : undefined;
  try {
    const resolvedImages = [...storedImages, ...(fetched?.images ?? [])];
    const inputs = { ...(mask ? { mask } : {}), ...(remix ? { remix } : {}) };
    const route = await planRoute(runtime, request, resolvedImages, inputs);
    // After the targets said they take a mask at all: its pixels are the next question.
    if (mask) await checkMaskImage(mask);
    checkPool(runtime.keys, request.pool, route.targets);
    const estimate = route.estimates[0] ?? { usd: 0, basis: 'free' };
    const plan = { request, targets: route.targets, images: resolvedImages, inputs, estimate, route };
    return fetched ? { ...plan, fetched } : plan;
  } catch (error) {
    await fetched?.discard();
    throw error;
  }
}

/**
 * Validates without writing anything. `images` replaces the request's reference images (both
 * kinds) and `mask` its mask_asset_id, so the CLI can check local files before importing them.
 * Images from image_urls are fetched and checked, then dropped: their paths in `images` no
 * longer exist on return.
 */
export async function planJob(runtime: Runtime, tenantId: string, input: unknown, images?: ImageInput[], mask?: ImageInput): Promise<JobPlan> {
  const { fetched, ...plan } = await prepareJob(runtime, tenantId, input, images, mask);
  await fetched?.discard();
  return plan;
}

/**
 * Stores images fetched from image_urls in the caller's tenant and appends their ids to
 * image_asset_ids, which is all a worker reads; image_urls stay in the job as a record.
 */
async function adoptFetchedImages(runtime: Runtime, tenantId: string, request: GenerationRequest, fetched: FetchedImages): Promise<GenerationRequest> {
  try {
    const ids: string[] = [];
    for (const image of fetched.images) ids.push((await importImageFile(runtime, tenantId, image.path)).id);
    return { ...request, image_asset_ids: [...(request.image_asset_ids ?? []), ...ids] };
  } finally {
    await fetched.discard();
  }
}

/**
 * A replayed request as its job stored it: the ids its image_urls became the first time stand
 * in for this call's fresh ones, so the same URLs match and different URLs or ids do not.
 */
function asStoredBefore(request: GenerationRequest, stored: GenerationRequest): GenerationRequest {
  if (!request.image_urls?.length) return request;
  const own = request.image_asset_ids ?? [];
  return { ...request, image_asset_ids: [...own, ...(stored.image_asset_ids ?? []).slice(own.length)] };
}

/** For a caller that answers with one job: a fan-out route, which makes one per target, is bad input. */
export function refuseFanOut(plan: Pick<JobPlan, 'route'>): void {
  if (!plan.route.fanOut) return;
  throw new InputError(
    `model: "${plan.route.route}" is a fan-out route, which makes one job per target, and this call answers with one job; ` +
      'name a route of another strategy or a provider/model (POST /v1/jobs runs fan-out routes)',
    { field: 'model' },
  );
}

/** Submits one job; a fan-out route, which makes several, is refused (SubmitOptions.oneJob). */
export async function submitJob(
  runtime: Runtime,
  tenantId: string,
  input: unknown,
  options: { idempotencyKey?: string } = {},
): Promise<JobRecord> {
  return (await submitOrReplayJob(runtime, tenantId, input, { ...options, oneJob: true })).job;
}

/**
 * submitJob, also saying whether the job was `created` now or is an earlier job of the tenant
 * holding the same idempotency key (then nothing is written, enqueued or published), with the
 * validated request so a caller can tell a replay from a different request under a reused key.
 */
export async function submitOrReplayJob(
  runtime: Runtime,
  tenantId: string,
  input: unknown,
  options: SubmitOptions = {},
): Promise<SubmitOutcome> {
  const { fetched, ...plan } = await prepareJob(runtime, tenantId, input);
  if (options.oneJob === true && plan.route.fanOut) {
    await fetched?.discard();
    refuseFanOut(plan);
  }
  if (options.idempotencyKey !== undefined && !plan.route.fanOut) {
    // A replay answers with the job the key already holds before anything is stored or reserved:
    // repeating a request must work even when the budget has run out since.
    const existing = await runtime.repo.getJobByIdempotencyKey(tenantId, options.idempotencyKey);
    if (existing !== undefined) {
      await fetched?.discard();
      return { job: existing, created: false, request: asStoredBefore(plan.request, existing.request) };
    }
  }
  try {
    checkPricesKnown(runtime, tenantId, plan.route.targets.map((target, index) => ({ target, usd: plan.route.estimates[index]?.usd ?? null })));
  } catch (error) {
    await fetched?.discard();
    throw error;
  }
  // Only now, with every URL and capability checked, are fetched images stored. Two first
  // requests racing under one key both get here; createJob keeps one and the other's images
  // stay as uploads.
  const request = fetched ? await adoptFetchedImages(runtime, tenantId, plan.request, fetched) : plan.request;
  if (plan.route.fanOut) return submitFanOut(runtime, tenantId, plan, request, options);
  const id = newId('job');
  // The most this job can cost: fallbacks may land on a dearer target than the first.
  // (An unknown price got past checkPricesKnown only because no budget applies: nothing is reserved.)
  const reserved = await reserveBudget(runtime, tenantId, [{ jobId: id, usd: Math.max(0, ...plan.route.estimates.map((estimate) => estimate.usd ?? 0)) }]);
  const created = await createAndEnqueue(runtime, tenantId, plan, request, {
    id,
    targets: plan.targets,
    estimate: plan.estimate,
    idempotencyKey: options.idempotencyKey ?? null,
    batchId: null,
    reserved,
    runHere: options.runHere === true,
    awaited: options.awaited === true,
  });
  if (created.job.id !== id) return { job: created.job, created: false, request: asStoredBefore(plan.request, created.job.request) };
  return { job: created.job, created: true, request, ...(created.ran ? { ran: created.ran } : {}), ...(created.started ? { started: created.started } : {}) };
}

export interface SubmitOptions {
  idempotencyKey?: string;
  /**
   * Run the job in this process at once when this process works its queue and has a slot free
   * (see run-here.ts). `ran` then settles when that run ends, for a caller that waits for it.
   */
  runHere?: boolean;
  /**
   * The caller waits for the job's end and hears of the job only from it (an OpenAI synchronous
   * route, which names the job only at its end or when its wait of minutes runs out, long after
   * PostgreSQL's WAL writer has flushed the insert): the job's insert commits without waiting
   * for the disk (NewJob.asyncCommit), and the end's commit, which does wait, makes both durable
   * before the answer goes out.
   */
  awaited?: boolean;
  /** The caller answers with one job (submitJob): a fan-out route is bad input. */
  oneJob?: boolean;
}

/** What submitOrReplayJob did; `fanOut` holds every job of a fan-out route (`job` is its first). */
export interface SubmitOutcome {
  job: JobRecord;
  created: boolean;
  request: GenerationRequest;
  fanOut?: { batchId: string; route: string; jobs: JobRecord[] };
  /** The run in this process, when the job was run here (SubmitOptions.runHere). */
  ran?: Promise<Outcome>;
  /** The first attempt, when the job's insert started it (a run here). */
  started?: AttemptRecord;
}

/**
 * Writes one job and queues it on its first target. An idempotent replay (another id comes
 * back) writes and queues nothing and releases what was reserved for the new id.
 */
async function createAndEnqueue(
  runtime: Runtime,
  tenantId: string,
  plan: JobPlan,
  request: GenerationRequest,
  job: {
    id: string;
    targets: Target[];
    estimate: CostEstimate;
    idempotencyKey: string | null;
    batchId: string | null;
    reserved: boolean;
    runHere?: boolean;
    awaited?: boolean;
  },
): Promise<{ job: JobRecord; ran?: Promise<Outcome>; started?: AttemptRecord }> {
  const first = job.targets[0] as Target;
  const pool = runtime.keys.poolFor(first.provider, request.pool);
  const payload: QueuePayload = { jobId: job.id, targetIndex: 0, provider: first.provider, model: first.model, pool };
  const priority = plan.request.priority ?? 50;
  const ticket = job.runHere ? runtime.here?.reserve(payload, priority) : undefined;
  // The entry behind a run here is recorded while the job is written: it comes due long after
  // either, and one whose job was never written is dropped by the runner.
  const behind = ticket?.hold().then(
    () => undefined,
    (error: unknown) => error,
  );
  // A run here starts its first attempt in the job's insert when a key is free at once: one
  // write (and one round trip) fewer than a claim after it. Otherwise the run claims as usual.
  const attempt = ticket ? await ticket.firstAttempt().catch(() => undefined) : undefined;
  const created = await runtime.repo
    .createJob({
      id: job.id,
      tenantId,
      kind: plan.request.kind,
      request,
      targets: job.targets,
      priority,
      idempotencyKey: job.idempotencyKey,
      batchId: job.batchId,
      metadata: plan.request.metadata ?? {},
      estimatedCostUsd: job.estimate.usd,
      ...(attempt ? { attempt } : {}),
      ...(job.awaited ? { asyncCommit: true } : {}),
    })
    .catch(async (error: unknown) => {
      if (ticket) await dropTicket(ticket, behind);
      if (job.reserved) await runtime.repo.spending.settle(job.id, 0).catch(() => false);
      throw error;
    });
  if (created.job.id !== job.id) {
    if (ticket) await dropTicket(ticket, behind);
    if (job.reserved) await runtime.repo.spending.settle(job.id, 0);
    return { job: created.job };
  }
  if (ticket) {
    const failed = await behind;
    if (failed === undefined) {
      // Not awaited: the run's own events follow on the same connection, in order.
      void runtime.bus.publish(created.event);
      void runtime.bus.publish(created.started?.event);
      runtime.logger.debug({ jobId: job.id, target: first }, 'job running here');
      const started = created.started?.attempt;
      return { job: created.job, ran: ticket.run(started ? { job: created.job, attempt: started } : undefined), ...(started ? { started } : {}) };
    }
    ticket.release();
    await notQueued(runtime, job, tenantId, failed, created.started?.attempt.id);
  }
  await runtime.queues.enqueue(first.provider, payload, { priority: created.job.priority }).catch((error: unknown) => notQueued(runtime, job, tenantId, error));
  await runtime.bus.publish(created.event);
  runtime.logger.debug({ jobId: job.id, target: first }, 'job queued');
  return { job: created.job };
}

/** A recorded job that no queue holds would wait forever: close it, then report. */
async function notQueued(runtime: Runtime, job: { id: string; reserved: boolean }, tenantId: string, error: unknown, attemptId?: string): Promise<never> {
  const message = `could not enqueue: ${error instanceof Error ? error.message : String(error)}`;
  // An attempt the insert started was never sent: it ends with the job, not as a crash mid-send.
  if (attemptId !== undefined) await runtime.repo.finishAttempt(attemptId, { status: 'failed', error: { class: 'internal', message } }).catch(() => undefined);
  await runtime.repo.failJob(job.id, { class: 'internal', message }).catch(() => undefined);
  if (job.reserved) await settleJob(runtime, job.id, tenantId);
  throw error;
}

/** A run here that will not happen: its slot back, its entry (if recorded) removed. */
async function dropTicket(ticket: RunTicket, behind: Promise<unknown> | undefined): Promise<void> {
  ticket.release();
  if ((await behind) !== undefined) return;
  await ticket.drop().catch(() => undefined);
}

/**
 * A fan-out route: the same request as one job per target, all under one batch id, so every
 * result is kept and each job says which provider/model made it. The budget holds all of them
 * or none. With an idempotency key, target i's job carries `<key>#i`; a replay answers the jobs
 * made the first time.
 */
async function submitFanOut(
  runtime: Runtime,
  tenantId: string,
  plan: JobPlan,
  request: GenerationRequest,
  options: { idempotencyKey?: string },
): Promise<SubmitOutcome> {
  const batchId = newId('bat');
  const ids = plan.targets.map(() => newId('job'));
  const reserved = await reserveBudget(
    runtime,
    tenantId,
    ids.map((jobId, index) => ({ jobId, usd: plan.route.estimates[index]?.usd ?? 0 })),
  );
  const jobs: JobRecord[] = [];
  let replayed = false;
  for (const [index, target] of plan.targets.entries()) {
    const id = ids[index] as string;
    if (replayed) {
      if (reserved) await runtime.repo.spending.settle(id, 0);
      continue;
    }
    const created = await createAndEnqueue(runtime, tenantId, plan, request, {
      id,
      targets: [target],
      estimate: plan.route.estimates[index] ?? { usd: 0, basis: 'free' },
      idempotencyKey: options.idempotencyKey === undefined ? null : `${options.idempotencyKey}#${index}`,
      batchId,
      reserved,
    });
    if (created.job.id !== id) replayed = true;
    jobs.push(created.job);
  }
  const route = plan.route.route ?? '';
  if (replayed) {
    const first = jobs[0] as JobRecord;
    const earlier = first.batchId === null ? jobs : await runtime.repo.listJobs({ tenantId, batchId: first.batchId, limit: 100 });
    const ordered = [...earlier].sort((a, b) => a.id.localeCompare(b.id));
    return { job: first, created: false, request: asStoredBefore(plan.request, first.request), fanOut: { batchId: first.batchId ?? batchId, route, jobs: ordered } };
  }
  return { job: jobs[0] as JobRecord, created: true, request, fanOut: { batchId, route, jobs } };
}

/**
 * Cancels a job: a queued one is removed from its queue, a running one is stopped by the worker
 * holding it (which also cancels at the provider where it can). Undefined when not found.
 */
export async function cancelJob(runtime: Runtime, jobId: string, tenantId?: string): Promise<JobRecord | undefined> {
  const current = await runtime.repo.getJob(jobId, tenantId);
  if (current === undefined) return undefined;
  const result = await runtime.repo.cancelJob(jobId, tenantId);
  if (result === undefined) return runtime.repo.getJob(jobId, tenantId);
  await settleJob(runtime, jobId, result.job.tenantId);
  await runtime.bus.publish(result.event);
  const target = current.targets[current.targetIndex];
  if (target) {
    const pool = runtime.keys.poolFor(target.provider, current.request.pool);
    await runtime.queues.remove(target.provider, jobId, current.targetIndex, pool).catch(() => false);
  }
  await runtime.bus.requestCancel(jobId);
  return result.job;
}
