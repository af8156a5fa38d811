// Sora videos through OpenAI's Videos API: create (optionally from a first-frame image) or remix an
// earlier video, poll the video object's status and progress, and hand the engine
// `/videos/{id}/content` to download.
import { InputError, ProviderError } from '@mediagate/core';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import sharp from 'sharp';
import { z } from 'zod';
import type { CallContext, JsonValue, PollResult, ProviderRequest, RemixSource, SubmitResult } from '../contract.ts';
import { isContentPolicyBody } from '../http/classify.ts';
import { call } from './client.ts';
import { proOnlySizes, videoSizes } from './models.ts';

const videoSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  progress: z.number().min(0).max(100).nullish(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});
type VideoObject = z.infer<typeof videoSchema>;

const operationSchema = z.object({ id: z.string().min(1) });

/** What the API makes when `seconds` is left out. */
const defaultSeconds = 4;

export function videoOperationId(operation: JsonValue): string {
  const parsed = operationSchema.safeParse(operation);
  if (!parsed.success) throw new ProviderError('malformed', 'openai: the stored video handle has no id');
  return parsed.data.id;
}

function allowedSizes(model: string): string[] {
  const sizes = Object.values(videoSizes[model] ?? {});
  return model === 'sora-2-pro' ? [...sizes, ...proOnlySizes] : sizes;
}

/** The `size` sent: explicit width×height, else the aspect ratio's 720p size. */
export function videoSize(request: ProviderRequest): string {
  const { width, height, aspect_ratio: ratio } = request.params;
  if (width !== undefined && height !== undefined) return `${width}x${height}`;
  return videoSizes[request.model]?.[ratio ?? '16:9'] ?? '1280x720';
}

/** A remix starts from the source video alone and keeps its length and size (the API takes only a prompt). */
function validateRemix(request: ProviderRequest, source: RemixSource): void {
  if (request.images.length > 0) {
    throw new InputError(`image_asset_ids: a Sora remix takes no reference image; it starts from job ${source.jobId}'s video`, { field: 'image_asset_ids' });
  }
  const seconds = source.params.duration ?? defaultSeconds;
  if ((request.params.duration ?? defaultSeconds) !== seconds) {
    throw new InputError(`params.duration: a Sora remix keeps the ${seconds} s of job ${source.jobId}; leave duration out`, {
      field: 'params.duration',
      allowed: [seconds],
    });
  }
  const size = videoSize({ ...request, params: source.params });
  if (videoSize(request) !== size) {
    throw new InputError(`params.width: a Sora remix keeps the ${size} of job ${source.jobId}; leave the size out`, { field: 'params.width', allowed: [size] });
  }
}

export function validateVideo(request: ProviderRequest): void {
  if (request.remix !== undefined) validateRemix(request, request.remix);
  const { width, height } = request.params;
  if ((width === undefined) !== (height === undefined)) {
    throw new InputError(`params.${width === undefined ? 'height' : 'width'}: openai/${request.model} needs width and height together`, {
      field: width === undefined ? 'params.height' : 'params.width',
    });
  }
  const allowed = allowedSizes(request.model);
  if (width !== undefined && !allowed.includes(`${width}x${height}`)) {
    throw new InputError(`params.width: ${width}x${height} is not supported by openai/${request.model}; allowed: ${allowed.join(', ')}`, {
      field: 'params.width',
      allowed,
    });
  }
}

/** The first frame must match the output size exactly: fit (cover) the reference image to it. */
async function firstFrame(request: ProviderRequest, size: string) {
  const image = request.images[0];
  if (image === undefined) return undefined;
  const [width, height] = size.split('x').map(Number) as [number, number];
  const png = await sharp(image.path).resize(width, height, { fit: 'cover' }).png().toBuffer();
  return toFile(png, 'first-frame.png', { type: 'image/png' });
}

function toPoll(video: VideoObject, contentUrl: string, secret: string): PollResult {
  switch (video.status) {
    case 'queued':
      return { status: 'pending', progress: video.progress ?? 0, message: 'queued' };
    case 'in_progress':
      return { status: 'pending', progress: video.progress ?? 0 };
    case 'completed':
      // Downloaded by the engine at once (through the URL guard), with the key that made it.
      return { status: 'completed', outputs: [{ type: 'url', url: contentUrl, headers: { authorization: `Bearer ${secret}` } }] };
    case 'failed': {
      const code = video.error?.code ?? undefined;
      const refused = code !== undefined && isContentPolicyBody({ code });
      throw new ProviderError(refused ? 'content_policy' : 'server', `openai: video ${video.id} failed: ${video.error?.message ?? 'no reason given'}${code ? ` (${code})` : ''}`, {
        ...(code ? { providerCode: code } : {}),
      });
    }
  }
}

function parseVideo(answer: unknown, what: string): VideoObject {
  const parsed = videoSchema.safeParse(answer);
  if (!parsed.success) throw new ProviderError('malformed', `openai: ${what} answered something that is not a video object`);
  return parsed.data;
}

/** POST /videos/{id}/remix with the new prompt: a new video object, polled like a created one. */
async function remixVideo(client: OpenAI, request: ProviderRequest, source: RemixSource, ctx: CallContext): Promise<SubmitResult> {
  const sourceId = videoOperationId(source.operation);
  const what = `POST /videos/${sourceId}/remix`;
  const video = parseVideo(await call(ctx, what, (signal) => client.videos.remix(sourceId, { prompt: request.prompt }, { signal })), what);
  if (video.status === 'failed') toPoll(video, '', '');
  return { status: 'pending', operation: { id: video.id } };
}

export async function createVideo(client: OpenAI, request: ProviderRequest, ctx: CallContext): Promise<SubmitResult> {
  if (request.remix !== undefined) return remixVideo(client, request, request.remix, ctx);
  const size = videoSize(request);
  const reference = await firstFrame(request, size);
  const body = {
    model: request.model,
    prompt: request.prompt,
    seconds: String(request.params.duration ?? defaultSeconds),
    size,
    ...(reference ? { input_reference: reference } : {}),
  } as OpenAI.VideoCreateParams;
  const video = parseVideo(await call(ctx, 'POST /videos', (signal) => client.videos.create(body, { signal })), 'POST /videos');
  if (video.status === 'failed') toPoll(video, '', '');
  return { status: 'pending', operation: { id: video.id } };
}

export async function pollVideo(client: OpenAI, operation: JsonValue, ctx: CallContext, baseURL: string, secret: string): Promise<PollResult> {
  const id = videoOperationId(operation);
  const what = `GET /videos/${id}`;
  const video = parseVideo(await call(ctx, what, (signal) => client.videos.retrieve(id, { signal })), what);
  return toPoll(video, `${baseURL}/videos/${encodeURIComponent(id)}/content`, secret);
}
