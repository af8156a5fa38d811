// Asset routes: metadata and bytes of stored outputs and uploads. Downloads answer conditional
// (ETag = the sha256) and Range requests, so players can seek and clients can resume.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, parseInput } from '@mediagate/core';
import type { Runtime } from '@mediagate/engine';
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

  app.get('/v1/assets/:id/content', async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const asset = await repo.getAsset(id, tenantOf(request));
    if (asset === undefined) throw new NotFoundError('asset', id);
    const etag = `"${asset.sha256}"`;
    // Content-addressed: the bytes behind an id never change, so caches may keep them.
    reply.header('etag', etag).header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=31536000, immutable');
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
  });
}
