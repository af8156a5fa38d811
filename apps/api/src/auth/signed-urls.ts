// Expiring links to an asset's bytes that work without an API key, for sharing (and for providers
// that fetch reference images, on MEDIAGATE_PUBLIC_URL): the path of the download plus `expires`
// (unix seconds) and an HMAC over the asset id and that expiry, made with the 'asset-urls' key
// derived from the master secret (engine asset-links.ts). Changing either invalidates the link.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InputError, parseInput } from '@mediagate/core';
import { signedAssetData, type Secrets } from '@mediagate/engine';

export { signedAssetPath } from '@mediagate/engine';

export const assetContentRoute = '/v1/assets/:id/content';

/** What `POST /v1/assets/:id/share` answers. */
export interface AssetLink {
  object: 'asset_link';
  asset_id: string;
  /** Absolute, built from the Host the share request was sent to. */
  url: string;
  /** The same link relative to the server root. */
  path: string;
  expires_at: string;
}

/** Seconds a shared link may live: at least a minute, at most a week, an hour unless asked. */
export const shareLifetime = { min: 60, max: 7 * 24 * 3600, default: 3600 } as const;

export const shareBody = z
  .object({
    expires_in: z
      .number()
      .int()
      .min(shareLifetime.min)
      .max(shareLifetime.max)
      .default(shareLifetime.default)
      .describe(`Seconds until the link stops working: ${shareLifetime.min}–${shareLifetime.max}, default ${shareLifetime.default}.`),
  })
  .strict();

const signedQuery = z
  .object({
    expires: z.string().regex(/^\d{1,12}$/, 'expected unix seconds'),
    signature: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected the signature the link was made with'),
  })
  .strict();

/** A download that carries a signature instead of a key (checked by the route, not the auth hook). */
export function isSignedAssetRequest(request: FastifyRequest, route = request.routeOptions.url): boolean {
  if (route !== assetContentRoute) return false;
  const query = request.query as Record<string, unknown> | undefined;
  return query !== undefined && query !== null && ('signature' in query || 'expires' in query);
}

const forbidden = (message: string, code: string, field: string) => new InputError(message, { status: 403, code, field });

/** Throws a 403 naming what is wrong unless the query is a current signature for this asset. */
export function checkAssetSignature(secrets: Secrets, assetId: string, query: unknown, now = Date.now()): { expires: number } {
  const { expires: expiresText, signature } = parseInput(signedQuery, query);
  const expires = Number(expiresText);
  if (!secrets.verify('asset-urls', signedAssetData(assetId, expires), signature)) {
    throw forbidden('signature: does not match this asset and expiry; the link was altered or made by another server', 'invalid_signature', 'signature');
  }
  if (expires * 1000 <= now) {
    throw forbidden(`expires: this link expired at ${new Date(expires * 1000).toISOString()}; ask for a new one (POST /v1/assets/${assetId}/share)`, 'link_expired', 'expires');
  }
  return { expires };
}
