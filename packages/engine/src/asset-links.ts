// Signed, expiring links to stored assets: the share links of POST /v1/assets/:id/share, and the
// links a worker hands providers that fetch reference images themselves (Luma's keyframes), built
// on MEDIAGATE_PUBLIC_URL. The API verifies both the same way (apps/api auth/signed-urls.ts).
import { InputError, formatTarget, type Target } from '@mediagate/core';
import type { ModelSpec } from '@mediagate/providers';
import type { Secrets } from './secrets.ts';
import type { Settings } from './settings.ts';

/** What a link's signature covers: the asset and the expiry, so changing either breaks it. */
export function signedAssetData(assetId: string, expires: number): string {
  return `asset-content\n${assetId}\n${expires}`;
}

/** The download path of `assetId` with its signature, valid until `expires` (unix seconds). */
export function signedAssetPath(secrets: Secrets, assetId: string, expires: number): string {
  const signature = secrets.sign('asset-urls', signedAssetData(assetId, expires));
  return `/v1/assets/${encodeURIComponent(assetId)}/content?expires=${expires}&signature=${signature}`;
}

/**
 * How long a reference image's link lives: the attempt's time limit (the provider may fetch it any
 * time until then) plus ten minutes, and at least an hour.
 */
export function referenceLinkSeconds(attemptTimeoutMs: number): number {
  return Math.max(3600, Math.ceil(attemptTimeoutMs / 1000) + 600);
}

/** An absolute link to `assetId` on MEDIAGATE_PUBLIC_URL; undefined when that is not configured. */
export function publicAssetUrl(settings: Settings, secrets: Secrets, assetId: string, seconds: number, now = Date.now()): string | undefined {
  if (settings.publicUrl === undefined) return undefined;
  const expires = Math.floor(now / 1000) + seconds;
  return `${settings.publicUrl}${signedAssetPath(secrets, assetId, expires)}`;
}

/**
 * A model that takes reference images only as URLs needs MEDIAGATE_PUBLIC_URL to get them: without
 * it the request is refused here, at submit, rather than failing in the worker.
 */
export function checkImageLinks(settings: Settings, target: Target, spec: ModelSpec, imageCount: number): void {
  if (imageCount === 0 || spec.capabilities.referenceImageUrls !== true || settings.publicUrl !== undefined) return;
  throw new InputError(
    `image: ${formatTarget(target)} fetches reference images from a URL, and this server has no public address for them; set MEDIAGATE_PUBLIC_URL to a base URL of this server the provider can reach (e.g. https://mediagate.example.com), or use a model that takes image bytes`,
    { field: 'image' },
  );
}
