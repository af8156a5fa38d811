// What a request names besides its reference images: a mask (mask_asset_id) and the earlier job
// it remixes (remix_of). Both are checked at submit and loaded again by the worker for the attempt.
import { open } from 'node:fs/promises';
import { InputError, type GenerationRequest } from '@mediagate/core';
import type { JobRecord } from '@mediagate/db';
import type { ImageInput, JsonValue, RemixSource } from '@mediagate/providers';
import type { Runtime } from './runtime.ts';

/** What toProviderRequest hands an adapter besides the reference images. */
export interface ProviderInputs {
  mask?: ImageInput;
  remix?: RemixSource;
}

/** PNG color types 4 (grey + alpha) and 6 (RGBA) carry an alpha channel (PNG spec, IHDR). */
async function pngColorType(file: string): Promise<number | undefined> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(26);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.toString('latin1', 12, 16) === 'IHDR' ? head[25] : undefined;
  } finally {
    await handle.close();
  }
}

/**
 * A mask is a PNG with an alpha channel: its fully transparent pixels mark where to edit. Its size
 * against the first reference image is checked with the target's capabilities.
 */
export async function checkMaskImage(mask: ImageInput, field = 'mask_asset_id'): Promise<void> {
  if (mask.mime !== 'image/png') {
    throw new InputError(`${field}: the mask is ${mask.mime}; a mask is a PNG with an alpha channel`, { field, allowed: ['image/png'] });
  }
  const colorType = await pngColorType(mask.path);
  if (colorType !== 4 && colorType !== 6) {
    throw new InputError(`${field}: the mask PNG has no alpha channel; save it as RGBA, fully transparent where the image may change`, { field });
  }
}

/** The request's mask from the caller's tenant, as a file the worker can read. */
export async function loadMask(runtime: Runtime, tenantId: string, assetId: string): Promise<ImageInput> {
  const field = 'mask_asset_id';
  const asset = await runtime.repo.getAsset(assetId, tenantId);
  if (asset === undefined) throw new InputError(`${field}: asset "${assetId}" not found`, { field, status: 404, code: 'not_found' });
  if (asset.kind !== 'image' || asset.width === null || asset.height === null) {
    throw new InputError(`${field}: asset "${assetId}" is ${asset.mime}, not an image`, { field });
  }
  return { path: await runtime.store.localPath(asset.storageKey), mime: asset.mime, width: asset.width, height: asset.height };
}

/**
 * The job `remix_of` names, as its provider knows it: a succeeded job of the same tenant and kind,
 * and the operation handle its successful attempt stored.
 */
export async function loadRemixSource(runtime: Runtime, tenantId: string, jobId: string, kind: GenerationRequest['kind']): Promise<RemixSource> {
  const field = 'remix_of';
  const job = await runtime.repo.getJob(jobId, tenantId);
  if (job === undefined) throw new InputError(`${field}: job "${jobId}" not found`, { field, status: 404, code: 'not_found' });
  if (job.kind !== kind) throw new InputError(`${field}: job ${jobId} made ${job.kind}, not ${kind}`, { field });
  if (job.status !== 'succeeded') {
    throw new InputError(`${field}: job ${jobId} is ${job.status}; only a succeeded job can be remixed`, { field, allowed: ['succeeded'] });
  }
  const attempt = (await runtime.repo.listAttempts(jobId)).find((candidate) => candidate.status === 'succeeded');
  if (attempt === undefined) throw new InputError(`${field}: job ${jobId} has no successful attempt to remix`, { field });
  const made = `${attempt.provider}/${attempt.model}`;
  if (attempt.operation === null) {
    throw new InputError(`${field}: job ${jobId} was made by ${made} in one call; only outputs a provider keeps (async operations) can be remixed`, { field });
  }
  return { jobId, provider: attempt.provider, model: attempt.model, operation: attempt.operation as JsonValue, params: job.request.params };
}

const sizeParams = ['width', 'height', 'aspect_ratio'] as const;

/**
 * A remix runs where its source was made and keeps what the request leaves out of its params
 * (length, size): `model` defaults to the source's target, params are the source's under the
 * request's own (a size the request gives replaces the source's whole size).
 */
export function remixedRequest(request: GenerationRequest, source: RemixSource): GenerationRequest {
  const inherited = { ...source.params };
  if (sizeParams.some((name) => request.params[name] !== undefined)) for (const name of sizeParams) delete inherited[name];
  return {
    ...request,
    model: request.model ?? `${source.provider}/${source.model}`,
    params: { ...inherited, ...request.params },
  };
}

/** The mask and remix source a stored job names, for the worker's attempt. */
export async function loadJobInputs(runtime: Runtime, job: JobRecord): Promise<ProviderInputs> {
  const { mask_asset_id: maskId, remix_of: remixOf } = job.request;
  const mask = maskId === undefined ? undefined : await loadMask(runtime, job.tenantId, maskId);
  const remix = remixOf === undefined ? undefined : await loadRemixSource(runtime, job.tenantId, remixOf, job.kind);
  return { ...(mask ? { mask } : {}), ...(remix ? { remix } : {}) };
}
