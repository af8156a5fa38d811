// POST /v1/uploads: a reference image as the raw body (Content-Type image/*) or as the `file`
// field of multipart/form-data. The type is read from the bytes, never trusted from a header.
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AssetRecord } from '@mediagate/db';
import { InputError } from '@mediagate/core';
import { importImageFile, withScratch, type Runtime } from '@mediagate/engine';
import { tenantOf } from './routes-jobs.ts';
import { assetView } from './views.ts';


function tooLarge(field: string, maxBytes: number): InputError {
  return new InputError(`${field}: larger than the ${maxBytes}-byte upload limit (MEDIAGATE_MAX_UPLOAD_BYTES)`, {
    field,
    status: 413,
    code: 'payload_too_large',
  });
}

const unsupported = () =>
  new InputError('Content-Type: send the image as multipart/form-data (field "file") or as the body with image/png, image/jpeg or image/webp', {
    field: 'content-type',
    status: 415,
    code: 'unsupported_media_type',
  });


/** Writes the form's one `file` part to `file`; any other part is refused, naming it. */
async function receiveFormFile(request: FastifyRequest, file: string, maxBytes: number): Promise<void> {
  let received = false;
  let current = 'file';
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 10, parts: 11 } })) {
      current = part.fieldname;
      if (part.type !== 'file' || part.fieldname !== 'file') {
        throw new InputError(`${part.fieldname}: unexpected form field; send only the image, as the field "file"`, { field: part.fieldname });
      }
      await pipeline(part.file, createWriteStream(file));
      if (part.file.truncated) throw tooLarge('file', maxBytes);
      received = true;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge('file', maxBytes);
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
      throw new InputError('body: send one form field, "file", holding the image', { field: 'body' });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${current}: malformed multipart/form-data (${reason})`, { field: current });
  }
  if (!received) throw new InputError('file: missing; send the image as the form field "file"', { field: 'file' });
}

/** Probes and stores the image at `file`; the probe's messages name the upload, not the scratch path. */
async function importScratchImage(runtime: Runtime, tenantId: string, file: string, field: string): Promise<AssetRecord> {
  try {
    return await importImageFile(runtime, tenantId, file);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const message = error.message.replaceAll(file, 'the upload').replace(/^image: /, `${field}: `);
    throw new InputError(message, { field, ...(error.allowed ? { allowed: error.allowed } : {}) });
  }
}

export function registerUploadRoutes(app: FastifyInstance, runtime: Runtime, options: { maxUploadBytes: number }): void {
  const { maxUploadBytes } = options;
  // In its own scope so that no other route accepts image or form bodies; raw bodies are
  // buffered so the limit holds, form files are streamed to disk under the same limit.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.setErrorHandler((error) => {
      // Thrown on to the API's handler, which answers in the one error shape.
      const code = (error as { code?: unknown } | undefined)?.code;
      throw code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? tooLarge('body', maxUploadBytes) : error;
    });
    scope.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: maxUploadBytes }, (_request, bytes, done) => done(null, bytes));
    await scope.register(multipart, { throwFileSizeLimit: true });
    scope.post('/v1/uploads', { bodyLimit: maxUploadBytes }, async (request, reply) => {
      const tenantId = tenantOf(request);
      const asset = await withScratch(runtime, 'upload', async (dir) => {
        const file = path.join(dir, 'upload');
        if (request.isMultipart()) {
          await receiveFormFile(request, file, maxUploadBytes);
          return importScratchImage(runtime, tenantId, file, 'file');
        }
        if (!Buffer.isBuffer(request.body)) throw unsupported();
        await writeFile(file, request.body);
        return importScratchImage(runtime, tenantId, file, 'body');
      });
      return reply.status(201).send(assetView(asset));
    });
  });
}
