// Asset routes: metadata and bytes of stored outputs and uploads, and expiring links to share
// them without a key. Downloads answer conditional (ETag = the sha256) and Range requests, so
// players can seek and clients can resume.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError, parseInput } from '@mediagate/core';
import type { AssetRecord } from '@mediagate/db';
import type { Runtime } from '@mediagate/engine';
import { assetContentRoute, checkAssetSignature, type AssetLink, shareBody, shareLifetime, signedAssetPath } from './auth/signed-urls.ts';
import { etagMatches, parseRange } from './byte-range.ts';
import type { ErrorBody } from './errors.ts';
import { tenantOf } from './routes-jobs.ts';
import { assetView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export function registerAssetRoutes(app: FastifyInstance, runtime: Runtime): void {
  const { repo, store } = runtime;

  app.get('/v1/assets/:id', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const asset = await repo.getAsset(id, tenantOf(request));
    if (asset === undefined) throw new NotFoundError('asset', id);
    return assetView(asset);
  });

  // With `expires` and `signature` in the query this answers without a key (the auth hook lets it through).
  app.get(assetContentRoute, async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    if (request.caller !== null) {
      const asset = await repo.getAsset(id, tenantOf(request));
      if (asset === undefined) throw new NotFoundError('asset', id);
      // Content-addressed: the bytes behind an id never change, so caches may keep them.
      return sendContent(request, reply, asset, 'private, max-age=31536000, immutable');
    }
    const { expires } = checkAssetSignature(runtime.secrets, id, request.query);
    const asset = await repo.getAsset(id);
    if (asset === undefined) throw new NotFoundError('asset', id);
    // Shared copies may be cached, but not past the link's end.
    const seconds = Math.max(0, expires - Math.floor(Date.now() / 1000));
    return sendContent(request, reply, asset, `private, max-age=${seconds}`);
  });

  app.post(
    '/v1/assets/:id/share',
    {
      config: {
        openapi: {
          summary: 'Make an expiring link to an asset',
          description: `The link downloads the asset's bytes without an API key (Range and ETag work as usual) until it expires: ${shareLifetime.min} s to ${shareLifetime.max} s, ${shareLifetime.default} s by default. It is signed with the server's master secret (MEDIAGATE_SECRET); an altered or expired link answers 403. A link cannot be revoked before it expires, except by deleting the asset's job or changing the master secret.`,
          tags: ['assets'],
          body: { required: false, content: { 'application/json': shareBody } },
          responses: {
            201: {
              description: 'The link.',
              content: {
                'application/json': z
                  .object({
                    object: z.literal('asset_link'),
                    asset_id: z.string(),
                    url: z.string().describe('Absolute, built from the Host this request was sent to.'),
                    path: z.string().describe('The same link relative to the server root.'),
                    expires_at: z.iso.datetime(),
                  })
                  .strict(),
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { id } = parseInput(idParams, request.params);
      const { expires_in: expiresIn } = parseInput(shareBody, request.body ?? {});
      const asset = await repo.getAsset(id, tenantOf(request));
      if (asset === undefined) throw new NotFoundError('asset', id);
      const expires = Math.floor(Date.now() / 1000) + expiresIn;
      const path = signedAssetPath(runtime.secrets, asset.id, expires);
      const link: AssetLink = {
        object: 'asset_link',
        asset_id: asset.id,
        url: `${request.protocol}://${request.host}${path}`,
        path,
        expires_at: new Date(expires * 1000).toISOString(),
      };
      return reply.status(201).send(link);
    },
  );

  function sendContent(request: FastifyRequest, reply: FastifyReply, asset: AssetRecord, cacheControl: string): FastifyReply {
    const etag = `"${asset.sha256}"`;
    reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', cacheControl);
    if (etagMatches(single(request.headers['if-none-match']), etag)) return reply.status(304).send();

    // If-Range names the version the client holds a part of; another version gets the whole.
    const ifRange = single(request.headers['if-range']);
    const rangeHeader = ifRange === undefined || ifRange === etag ? single(request.headers.range) : undefined;
    const answer = parseRange(rangeHeader, asset.size);
    if (answer.type === 'unsatisfiable') {
      const body: ErrorBody = {
        error: { code: 'range_not_satisfiable', message: `Range: outside the ${asset.size} bytes of this asset`, field: 'range' },
      };
      return reply.status(416).header('content-range', `bytes */${asset.size}`).type('application/json; charset=utf-8').send(body);
    }
    reply.header('content-type', asset.mime);
    if (answer.type === 'full') return reply.header('content-length', asset.size).send(store.createReadStream(asset.storageKey));
    const { start, end } = answer.range;
    return reply
      .status(206)
      .header('content-range', `bytes ${start}-${end}/${asset.size}`)
      .header('content-length', end - start + 1)
      .send(store.createReadStream(asset.storageKey, answer.range));
  }
}
