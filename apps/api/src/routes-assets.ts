// Asset routes: metadata and bytes of stored outputs and uploads, and image uploads.
import type { FastifyInstance } from 'fastify';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { AssetRecord } from '@mediagate/db';
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
  // In its own scope so that no other route accepts image bodies, and buffered so bodyLimit holds.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(/^image\//, { parseAs: 'buffer' }, (_request, bytes, done) => done(null, bytes));
    scope.post('/v1/uploads', async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) {
        throw new InputError('Content-Type: send the image bytes with image/png, image/jpeg or image/webp', {
          field: 'content-type',
          status: 415,
          code: 'unsupported_media_type',
        });
      }
      const asset = await importUpload(runtime, tenantOf(request), request.body);
      return reply.status(201).send(assetView(asset));
    });
  });
}

async function importUpload(runtime: Runtime, tenantId: string, bytes: Buffer): Promise<AssetRecord> {
  const root = path.join(runtime.settings.home, 'tmp');
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, 'upload-'));
  const file = path.join(dir, 'upload');
  try {
    await writeFile(file, bytes);
    return await importImageFile(runtime, tenantId, file);
  } catch (error) {
    // The probe's message names the image by its temporary path: say "the upload" instead.
    if (!(error instanceof InputError)) throw error;
    const message = error.message.replaceAll(file, 'the upload').replace(/^image: /, 'body: ');
    throw new InputError(message, { field: 'body', ...(error.allowed ? { allowed: error.allowed } : {}) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
