// Bringing a user's file into the asset store (CLI --image, uploads): verified as real media
// from its bytes first, so a mislabeled or broken file never reaches a provider.
import { access } from 'node:fs/promises';
import { InputError, newId } from '@mediagate/core';
import type { AssetRecord } from '@mediagate/db';
import { MediaError, probeMedia, type MediaInfo } from '@mediagate/storage';
import type { ImageInput } from '@mediagate/providers';
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
