// OpenAI's image routes: POST /v1/images/generations (JSON) and POST /v1/images/edits
// (multipart: image or image[], an optional mask), run as Mediagate image jobs and answered when
// the job ends, as OpenAI does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InputError, parseInput, type GenerationRequestInput } from '@mediagate/core';
import type { NewAsset } from '@mediagate/db';
import { planJob, withScratch } from '@mediagate/engine';
import { shareLifetime, signedAssetPath } from '../auth/signed-urls.ts';
import { tenantOf } from '../routes-jobs.ts';
import { awaitOutputs, readAsset, submitToWait, type OpenAiContext, type Submitted } from './context.ts';
import { booleanField, intField, parseSize, refuseUnlessNeutral } from './fields.ts';
import { isJsonObject, readForm } from './form.ts';
import { honors, resolveOpenAiModel, specOf } from './models.ts';
import { renamedFieldError, renamingFields, type FieldNames } from './openai-errors.ts';
import { importUploads, probeUploads } from './upload-images.ts';

const imageFields = {
  prompt: z.string().min(1),
  model: z.string().min(1).optional(),
  n: intField(1, 10).optional(),
  size: z.string().optional(),
  quality: z.enum(['auto', 'low', 'medium', 'high', 'standard', 'hd']).optional(),
  response_format: z.enum(['url', 'b64_json']).optional(),
  output_format: z.enum(['png', 'jpeg', 'webp']).optional(),
  output_compression: intField(0, 100).optional(),
  background: z.enum(['auto', 'transparent', 'opaque']).optional(),
  /** Accepted and ignored: Mediagate's models apply no moderation of their own to relax. */
  moderation: z.enum(['auto', 'low']).optional(),
  stream: booleanField.optional(),
  partial_images: intField(0, 3).optional(),
  /** Accepted and ignored: an end-user id for OpenAI's abuse monitoring. */
  user: z.string().optional(),
};
const generationSchema = z.object({ ...imageFields, style: z.enum(['vivid', 'natural']).optional() }).strict();
const editSchema = z.object({ ...imageFields, input_fidelity: z.enum(['high', 'low']).optional() }).strict();
type ImageBody = z.infer<typeof editSchema> & { style?: string };

const fieldNames: FieldNames = {
  'params.width': 'size',
  'params.height': 'size',
  'params.n': 'n',
  'params.format': 'output_format',
  'params.quality': 'quality',
  'image_asset_ids[0]': 'image',
  mask_asset_id: 'mask',
};

/** The Mediagate job an OpenAI image request asks for; what no model honors is refused here. */
function imageJob(context: OpenAiContext, body: ImageBody): GenerationRequestInput {
  const model = resolveOpenAiModel('image', body.model, context.defaults);
  const spec = specOf(context.runtime, model);
  if (!honors(spec, 'quality')) refuseUnlessNeutral('quality', body.quality, model, ['auto']);
  refuseUnlessNeutral('background', body.background, model, ['auto']);
  refuseUnlessNeutral('output_compression', body.output_compression, model);
  refuseUnlessNeutral('style', body.style, model);
  refuseUnlessNeutral('input_fidelity', body.input_fidelity, model);
  refuseUnlessNeutral('stream', body.stream, model, [false]);
  refuseUnlessNeutral('partial_images', body.partial_images, model, [0]);
  if (body.n !== undefined && body.n > 1 && !honors(spec, 'n')) {
    throw new InputError(`n: ${model} makes one image per request`, { field: 'n', allowed: [1] });
  }
  const size = parseSize(body.size);
  return {
    kind: 'image',
    prompt: body.prompt,
    model,
    params: {
      ...size,
      ...(body.n !== undefined && honors(spec, 'n') ? { n: body.n } : {}),
      ...(body.output_format !== undefined ? { format: body.output_format } : {}),
      ...(body.quality !== undefined && honors(spec, 'quality') ? { quality: body.quality } : {}),
    },
    ...(body.model !== undefined && body.model !== model ? { metadata: { openai_model: body.model } } : {}),
  };
}

/** DALL·E answers with URLs unless told otherwise; GPT image models (and Mediagate's) with base64. */
function responseFormatOf(body: ImageBody): 'url' | 'b64_json' {
  return body.response_format ?? (body.model?.startsWith('dall-e') ? 'url' : 'b64_json');
}

async function imagesResponse(context: OpenAiContext, request: FastifyRequest, assets: NewAsset[], format: 'url' | 'b64_json') {
  const created = Math.floor(Date.now() / 1000);
  let data: ({ url: string } | { b64_json: string })[];
  if (format === 'url') {
    const origin = `${request.protocol}://${request.host}`;
    // Like OpenAI's own image URLs: fetchable without a key, for an hour.
    const expires = created + shareLifetime.default;
    data = assets.map((asset) => ({ url: `${origin}${signedAssetPath(context.runtime.secrets, asset.id, expires)}` }));
  } else {
    data = await Promise.all(assets.map(async (asset) => ({ b64_json: (await readAsset(context.runtime, asset)).toString('base64') })));
  }
  const first = assets[0];
  return first === undefined ? { created, data } : { created, data, output_format: first.mime.replace('image/', ''), size: `${first.width}x${first.height}` };
}

async function answer(context: OpenAiContext, request: FastifyRequest, reply: FastifyReply, input: GenerationRequestInput, format: 'url' | 'b64_json') {
  let submitted: Submitted;
  try {
    submitted = await submitToWait(context, tenantOf(request), input);
  } catch (error) {
    throw renamedFieldError(fieldNames, error);
  }
  const outputs = await awaitOutputs(context, submitted, reply);
  if (outputs === undefined) return reply;
  return reply.send(await imagesResponse(context, request, outputs, format));
}

export function registerImageRoutes(app: FastifyInstance, context: OpenAiContext): void {
  app.post('/v1/images/generations', async (request, reply) => {
    if (!isJsonObject(request.body)) throw new InputError('body: send a JSON object, e.g. {"prompt": "..."}', { field: 'body' });
    const body = parseInput(generationSchema, request.body);
    return answer(context, request, reply, imageJob(context, body), responseFormatOf(body));
  });
}

/** Needs the multipart parser, so it is registered in the scope that has it. */
export function registerImageEditRoute(scope: FastifyInstance, context: OpenAiContext): void {
  scope.post('/v1/images/edits', async (request, reply) => {
    const tenantId = tenantOf(request);
    const { input, body } = await withScratch(context.runtime, 'openai', async (dir) => {
      const form = await readForm(request, dir, context.limits, 'multipart');
      const body = parseInput(editSchema, form.fields);
      const stray = form.files.find((file) => file.field !== 'image' && file.field !== 'mask');
      if (stray !== undefined) throw new InputError(`${stray.field}: unexpected file field; send image (or image[]) and mask`, { field: stray.field });
      const images = form.files.filter((file) => file.field === 'image');
      if (images.length === 0) throw new InputError('image: required; upload the image to edit as a file', { field: 'image' });
      const masks = form.files.filter((file) => file.field === 'mask');
      if (masks.length > 1) throw new InputError('mask: send one mask file', { field: 'mask' });
      const input = imageJob(context, body);
      // Validate with the probed files before storing any, so a refused edit leaves no assets.
      const probed = await probeUploads(images);
      const [mask] = await probeUploads(masks);
      await renamingFields(fieldNames, () => planJob(context.runtime, tenantId, input, probed, mask));
      const ids = await importUploads(context.runtime, tenantId, images);
      const [maskId] = await importUploads(context.runtime, tenantId, masks);
      return { input: { ...input, image_asset_ids: ids, ...(maskId === undefined ? {} : { mask_asset_id: maskId }) }, body };
    });
    return answer(context, request, reply, input, responseFormatOf(body));
  });
}
