// Asset routes: metadata and bytes of stored outputs and uploads, and image uploads.
import type { FastifyInstance } from 'fastify';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { InputError, NotFoundError, parseInput } from '@mediagate/core';
import { importImageFile, type Runtime } from '@mediagate/engine';
import { tenantOf } from './routes-jobs.ts';
import { assetView } from './views.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });

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
    return reply
      .header('content-type', asset.mime)
      .header('content-length', asset.size)
      .header('etag', `"${asset.sha256}"`)
      .send(store.createReadStream(asset.storageKey));
  });

  // Raw image bytes as the body (Content-Type image/png|jpeg|webp); the type is sniffed, not trusted.
  app.addContentTypeParser(/^image\//, (_request, payload, done) => done(null, payload));
  app.post('/v1/uploads', async (request, reply) => {
    if (typeof request.body !== 'object' || request.body === null || !('pipe' in request.body)) {
      throw new InputError('body: send the image bytes with Content-Type image/png, image/jpeg or image/webp', {
        field: 'body',
        status: 415,
        code: 'unsupported_media_type',
      });
    }
    const root = path.join(runtime.settings.home, 'tmp');
    await mkdir(root, { recursive: true });
    const dir = await mkdtemp(path.join(root, 'upload-'));
    try {
      const file = path.join(dir, 'upload');
      await pipeline(request.body as NodeJS.ReadableStream, createWriteStream(file));
      const asset = await importImageFile(runtime, tenantOf(request), file);
      return reply.status(201).send(assetView(asset));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
