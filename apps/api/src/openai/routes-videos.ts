// OpenAI's video routes: POST /v1/videos (JSON or multipart) and POST /v1/videos/:id/remix answer
// at once with a video object whose id is the Mediagate job id; GET /v1/videos[/:id[/content]]
// reads its state and MP4.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InputError, NotFoundError, parseInput, type GenerationRequestInput } from '@mediagate/core';
import type { JobRecord } from '@mediagate/db';
import { planJob, submitJob, withScratch } from '@mediagate/engine';
import { tenantOf } from '../routes-jobs.ts';
import type { OpenAiContext } from './context.ts';
import { intField, numberField, parseSize } from './fields.ts';
import { isJsonObject, readForm, writeDataUrl, type UploadedFile } from './form.ts';
import { resolveOpenAiModel } from './models.ts';
import { renamingFields, type FieldNames } from './openai-errors.ts';
import { importUploads, probeUploads } from './upload-images.ts';
import { videoStatus, videoView } from './video-view.ts';

const videoSchema = z
  .object({
    prompt: z.string().min(1),
    model: z.string().min(1).optional(),
    seconds: numberField.pipe(z.number().positive()).optional(),
    size: z.string().optional(),
    input_reference: z.object({ image_url: z.string().min(1).optional(), file_id: z.string().min(1).max(100).optional() }).strict().optional(),
  })
  .strict();
type VideoBody = z.infer<typeof videoSchema>;

const idParams = z.object({ id: z.string().min(1).max(100) });
const remixSchema = z.object({ prompt: z.string().min(1) }).strict();
const contentQuery = z.object({ variant: z.enum(['video', 'thumbnail', 'spritesheet']).default('video') }).strict();
const listQuery = z
  .object({ after: z.string().max(100).optional(), limit: intField(1, 100).default(20), order: z.enum(['asc', 'desc']).default('desc') })
  .strict();

const fieldNames: FieldNames = {
  'params.duration': 'seconds',
  'params.width': 'size',
  'params.height': 'size',
  image: 'input_reference',
  'image_asset_ids[0]': 'input_reference.file_id',
  remix_of: 'video_id',
};

/** OpenAI's defaults: a 4-second portrait 720x1280 clip. */
function videoJob(context: OpenAiContext, body: VideoBody): GenerationRequestInput {
  const model = resolveOpenAiModel('video', body.model, context.defaults);
  return {
    kind: 'video',
    prompt: body.prompt,
    model,
    params: { duration: body.seconds ?? 4, ...parseSize(body.size ?? '720x1280') },
    ...(body.model !== undefined && body.model !== model ? { metadata: { openai_model: body.model } } : {}),
  };
}

/** The reference image as a scratch file (upload or data URL), or as an existing asset id. */
async function referenceOf(body: VideoBody, files: UploadedFile[], dir: string, maxBytes: number): Promise<UploadedFile | string | undefined> {
  const stray = files.find((file) => file.field !== 'input_reference');
  if (stray !== undefined) throw new InputError(`${stray.field}: unexpected file field; send input_reference`, { field: stray.field });
  const given = files.length + (body.input_reference?.image_url ? 1 : 0) + (body.input_reference?.file_id ? 1 : 0);
  if (given > 1) throw new InputError('input_reference: send one image: a file, an image_url or a file_id', { field: 'input_reference' });
  if (files[0] !== undefined) return files[0];
  if (body.input_reference?.image_url) return writeDataUrl(dir, 'input_reference.image_url', body.input_reference.image_url, maxBytes);
  return body.input_reference?.file_id;
}

async function videoOf(context: OpenAiContext, id: string, tenantId: string): Promise<JobRecord> {
  const job = await context.runtime.repo.getJob(id, tenantId);
  if (job === undefined || job.kind !== 'video') throw new NotFoundError('video', id);
  return job;
}

export function registerVideoRoutes(scope: FastifyInstance, context: OpenAiContext): void {
  const { runtime } = context;

  scope.post('/v1/videos', async (request) => {
    const tenantId = tenantOf(request);
    const input = await withScratch(runtime, 'openai', async (dir) => {
      // One file at most: the input_reference.
      const form = await readForm(request, dir, { ...context.limits, files: 1 }, 'json+multipart');
      const body = parseInput(videoSchema, form.fields);
      const input = videoJob(context, body);
      const reference = await referenceOf(body, form.files, dir, context.limits.fileBytes);
      if (reference === undefined) return input;
      if (typeof reference === 'string') return { ...input, image_asset_ids: [reference] };
      // Validate with the probed file before storing it, so a refused request leaves no asset.
      const probed = await probeUploads([reference]);
      await renamingFields(fieldNames, () => planJob(runtime, tenantId, input, probed));
      return { ...input, image_asset_ids: await importUploads(runtime, tenantId, [reference]) };
    });
    const job = await renamingFields(fieldNames, () => submitJob(runtime, tenantId, input));
    return videoView(job);
  });

  // A remix of one of the tenant's videos (a job): it runs on the provider and model that made it.
  scope.post('/v1/videos/:id/remix', async (request) => {
    const tenantId = tenantOf(request);
    const { id } = parseInput(idParams, request.params);
    if (!isJsonObject(request.body)) throw new InputError('body: send a JSON object, e.g. {"prompt": "..."}', { field: 'body' });
    const body = parseInput(remixSchema, request.body);
    const source = await videoOf(context, id, tenantId);
    const openaiModel = source.metadata.openai_model;
    const input: GenerationRequestInput = { kind: 'video', prompt: body.prompt, remix_of: source.id, ...(openaiModel ? { metadata: { openai_model: openaiModel } } : {}) };
    const job = await renamingFields(fieldNames, () => submitJob(runtime, tenantId, input));
    return videoView(job);
  });

  scope.get('/v1/videos', async (request) => {
    const query = parseInput(listQuery, request.query);
    if (query.order === 'asc') throw new InputError('order: only "desc" (newest first) is supported', { field: 'order', allowed: ['desc'] });
    const jobs = await runtime.repo.listJobs({ tenantId: tenantOf(request), kind: 'video', limit: query.limit + 1, ...(query.after ? { before: query.after } : {}) });
    const page = jobs.slice(0, query.limit).map((job) => videoView(job));
    return { object: 'list', data: page, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null, has_more: jobs.length > query.limit };
  });

  scope.get('/v1/videos/:id', async (request) => {
    const { id } = parseInput(idParams, request.params);
    const job = await videoOf(context, id, tenantOf(request));
    return videoView(job, job.status === 'succeeded' ? await runtime.repo.listJobAssets(job.id) : []);
  });

  scope.get('/v1/videos/:id/content', async (request, reply) => {
    const { id } = parseInput(idParams, request.params);
    const { variant } = parseInput(contentQuery, request.query);
    if (variant !== 'video') throw new InputError(`variant: "${variant}" is not made by Mediagate's video models; only "video"`, { field: 'variant', allowed: ['video'] });
    const job = await videoOf(context, id, tenantOf(request));
    const status = videoStatus(job);
    // OpenAI answers 404 "not ready" until the video is completed; so does this.
    if (status !== 'completed') {
      const why = status === 'failed' ? 'failed, so it has no content' : `is not ready yet (status ${status})`;
      throw new InputError(`video ${id} ${why}`, { status: 404, code: status === 'failed' ? 'video_failed' : 'video_not_ready' });
    }
    const video = (await runtime.repo.listJobAssets(job.id)).find((asset) => asset.kind === 'video');
    if (video === undefined) throw new Error(`job ${job.id} succeeded without a video output`);
    return reply
      .header('content-type', video.mime)
      .header('content-length', video.size)
      .header('etag', `"${video.sha256}"`)
      .send(runtime.store.createReadStream(video.storageKey));
  });
}
