// Bringing a user's file into the asset store (CLI --image, uploads, image_urls): verified as real
// media from its bytes first, so a mislabeled or broken file never reaches a provider.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InputError, newId } from '@mediagate/core';
import type { AssetRecord } from '@mediagate/db';
import { MediaError, probeMedia, type MediaInfo } from '@mediagate/storage';
import { asInputError, isGuardError, redactUrl, type ImageInput } from '@mediagate/providers';
import type { Runtime } from './runtime.ts';

const imageFormats = ['png', 'jpeg', 'webp'];

/** Probes a local file that must be an image; InputError naming `field` otherwise. */
export async function probeImageFile(filePath: string, field = 'image'): Promise<ImageInput & { info: MediaInfo }> {
  try {
    await access(filePath);
  } catch {
    throw new InputError(`${field}: file not found: ${filePath}`, { field });
  }
  let info: MediaInfo;
  try {
    info = await probeMedia(filePath);
  } catch (error) {
    const reason = error instanceof MediaError ? error.message : String(error);
    throw new InputError(`${field}: ${filePath} is not an image (${reason}); allowed: ${imageFormats.join(', ')}`, {
      field,
      allowed: imageFormats,
    });
  }
  if (info.kind !== 'image' || !imageFormats.includes(info.format) || !info.width || !info.height) {
    throw new InputError(`${field}: ${filePath} is ${info.mime}, not an image; allowed: ${imageFormats.join(', ')}`, {
      field,
      allowed: imageFormats,
    });
  }
  return { path: filePath, mime: info.mime, width: info.width, height: info.height, info };
}

export async function importImageFile(runtime: Runtime, tenantId: string, filePath: string): Promise<AssetRecord> {
  const image = await probeImageFile(filePath);
  const stored = await runtime.store.putFile(filePath, { move: false });
  return runtime.repo.insertAsset({
    id: newId('ast'),
    tenantId,
    jobId: null,
    sha256: stored.sha256,
    size: stored.size,
    mime: image.mime,
    kind: 'image',
    width: image.width,
    height: image.height,
    durationMs: null,
    storageKey: stored.key,
  });
}

/** Our own disk failing is not the caller's fault: such errors are not turned into a 4xx. */
function isLocalFault(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS' || code === 'EMFILE';
}

/** Why a fetch failed, in words: undici reports "fetch failed" and keeps the reason in `cause`. */
function fetchFailure(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Fetches a caller's image URL through the URL guard into `file` and probes it. Every failure is
 * an InputError naming `field`: refused or unreachable 400, over MEDIAGATE_MAX_UPLOAD_BYTES 413,
 * not a png/jpeg/webp image 415.
 */
export async function fetchImageUrl(runtime: Runtime, url: string, field: string, file: string): Promise<ImageInput> {
  const shown = redactUrl(url);
  try {
    const response = await runtime.inputFetch(url, { headers: { accept: 'image/png, image/jpeg, image/webp' } });
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      throw new InputError(`${field}: ${shown} answered ${response.status}`, { field, code: 'url_unreachable' });
    }
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(file));
  } catch (error) {
    if (error instanceof InputError || isLocalFault(error)) throw error;
    if (isGuardError(error)) throw asInputError(field)(error);
    throw new InputError(`${field}: could not fetch ${shown}: ${fetchFailure(error)}`, { field, code: 'url_unreachable' });
  }
  try {
    const image = await probeImageFile(file, field);
    return { path: image.path, mime: image.mime, width: image.width, height: image.height };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // The scratch path means nothing to the caller; the URL does.
    throw new InputError(error.message.replaceAll(file, shown), { field, code: 'unsupported_media_type', status: 415, allowed: imageFormats });
  }
}

export interface FetchedImages {
  /** In the order of the URLs; their paths are scratch files until `discard`. */
  images: ImageInput[];
  discard(): Promise<void>;
}

/**
 * Fetches and checks every URL (in parallel) before anything is stored, so a request with one
 * bad URL leaves nothing behind. Throws the failure of the first bad URL, by position.
 */
export async function fetchImageUrls(runtime: Runtime, urls: readonly string[]): Promise<FetchedImages> {
  const directory = path.join(runtime.settings.home, 'tmp', `image-urls-${randomUUID()}`);
  const discard = () => rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  const results = await Promise.allSettled(
    urls.map((url, index) => fetchImageUrl(runtime, url, `image_urls[${index}]`, path.join(directory, `image-${index}`))),
  );
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) {
    await discard();
    throw failed.reason;
  }
  return { images: results.map((result) => (result as PromiseFulfilledResult<ImageInput>).value), discard };
}
