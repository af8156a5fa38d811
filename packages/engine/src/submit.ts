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
import type { JobRecord } from '@mediagate/db';
import { validateAgainstCapabilities, type CostEstimate, type ImageInput } from '@mediagate/providers';
import { fetchImageUrls, importImageFile, type FetchedImages } from './assets.ts';
import type { Runtime } from './runtime.ts';
import { resolveTargets, toProviderRequest } from './targets.ts';
import { checkJobWebhookUrl } from './webhooks/endpoints.ts';

export interface JobPlan {
  request: GenerationRequest;
  targets: Target[];
  images: ImageInput[];
  estimate: CostEstimate;
}

/** Loads the reference images a request names, from the caller's tenant only. */
export async function loadImages(runtime: Runtime, tenantId: string, assetIds: readonly string[]): Promise<ImageInput[]> {
  return Promise.all(
    assetIds.map(async (id, index) => {
      const asset = await runtime.repo.getAsset(id, tenantId);
      const field = `image_asset_ids[${index}]`;
      if (asset === undefined) throw new InputError(`${field}: asset "${id}" not found`, { field, status: 404, code: 'not_found' });
      if (asset.kind !== 'image' || asset.width === null || asset.height === null) {
        throw new InputError(`${field}: asset "${id}" is ${asset.mime}, not an image`, { field });
      }
      return { path: await runtime.store.localPath(asset.storageKey), mime: asset.mime, width: asset.width, height: asset.height };
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
): Promise<JobPlan & { fetched?: FetchedImages }> {
  const request = parseInput(generationRequestSchema, input);
  const urls = images === undefined ? (request.image_urls ?? []) : [];
  if ((request.image_asset_ids?.length ?? 0) + urls.length > maxImages) {
    throw new InputError(`image_urls: at most ${maxImages} reference images in all, counting image_asset_ids`, { field: 'image_urls' });
  }
  const targets = resolveTargets(request, runtime.providers);
  if (request.webhook_url !== undefined) await checkJobWebhookUrl(runtime, tenantId, request.webhook_url);
  const storedImages = images ?? (await loadImages(runtime, tenantId, request.image_asset_ids ?? []));
  const fetched = urls.length > 0 ? await fetchImageUrls(runtime, urls) : undefined;
  try {
    const resolvedImages = [...storedImages, ...(fetched?.images ?? [])];
    let estimate: CostEstimate | undefined;
    for (const target of targets) {
      const { adapter, spec } = runtime.providers.resolve(target);
      const providerRequest = toProviderRequest(request, target, resolvedImages);
      validateAgainstCapabilities(adapter.id, spec, providerRequest);
      adapter.validate?.(providerRequest);
      estimate ??= spec.estimate(providerRequest);
    }
    const plan = { request, targets, images: resolvedImages, estimate: estimate ?? { usd: 0, basis: 'free' as const } };
    return fetched ? { ...plan, fetched } : plan;
  } catch (error) {
    await fetched?.discard();
    throw error;
  }
}

/**
 * Validates without writing anything. `images` replaces the request's reference images (both
 * kinds), so the CLI can check a local file before importing it. Images from image_urls are
 * fetched and checked, then dropped: their paths in `images` no longer exist on return.
 */
export async function planJob(runtime: Runtime, tenantId: string, input: unknown, images?: ImageInput[]): Promise<JobPlan> {
  const { fetched, ...plan } = await prepareJob(runtime, tenantId, input, images);
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

export async function submitJob(
  runtime: Runtime,
  tenantId: string,
  input: unknown,
  options: { idempotencyKey?: string } = {},
): Promise<JobRecord> {
  return (await submitOrReplayJob(runtime, tenantId, input, options)).job;
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
  options: { idempotencyKey?: string } = {},
): Promise<{ job: JobRecord; created: boolean; request: GenerationRequest }> {
  const { fetched, ...plan } = await prepareJob(runtime, tenantId, input);
  // Only now, with every URL and capability checked, are fetched images stored. A replay under
  // an idempotency key stores them again, as orphan uploads: the key is only checked by createJob.
  const request = fetched ? await adoptFetchedImages(runtime, tenantId, plan.request, fetched) : plan.request;
  const id = newId('job');
  const { job, event } = await runtime.repo.createJob({
    id,
    tenantId,
    kind: plan.request.kind,
    request,
    targets: plan.targets,
    priority: plan.request.priority ?? 50,
    idempotencyKey: options.idempotencyKey ?? null,
    metadata: plan.request.metadata ?? {},
    estimatedCostUsd: plan.estimate.usd,
  });
  if (job.id !== id) return { job, created: false, request: asStoredBefore(plan.request, job.request) };
  const first = plan.targets[0] as Target;
  try {
    await runtime.queues.enqueue(first.provider, { jobId: job.id, targetIndex: 0, provider: first.provider, model: first.model }, { priority: job.priority });
  } catch (error) {
    // A recorded job that no queue holds would wait forever: close it, then report.
    const message = `could not enqueue: ${error instanceof Error ? error.message : String(error)}`;
    await runtime.repo.failJob(job.id, { class: 'internal', message }).catch(() => undefined);
    throw error;
  }
  await runtime.bus.publish(event);
  runtime.logger.debug({ jobId: job.id, target: first }, 'job queued');
  return { job, created: true, request };
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
  await runtime.bus.publish(result.event);
  const target = current.targets[current.targetIndex];
  if (target) await runtime.queues.remove(target.provider, jobId, current.targetIndex).catch(() => false);
  await runtime.bus.requestCancel(jobId);
  return result.job;
}
