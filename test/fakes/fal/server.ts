// A fake of fal's queue API (https://docs.fal.ai/model-apis/model-endpoints/queue): POST /{endpoint}
// answers IN_QUEUE with a request id; GET /{owner}/{app}/requests/{id}/status?logs=1 moves IN_QUEUE
// (queue_position) → IN_PROGRESS (logs with a percentage) → COMPLETED over `requestMs`; GET
// /{owner}/{app}/requests/{id} is the result; PUT …/cancel works only while queued. `Key` auth, 422
// `{detail:[{loc,msg,type}]}` for bad input: an unknown field or a value outside the model's schema.
// Faults: 429 and 500 on submit, a submit answer with no request id, a content-policy refusal
// (flagged images, or a 422 content_policy_violation result for video), a first status poll left
// unanswered, an already-expired first output URL.
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, OutputFiles, asFakeProvider, hang, jpegImage, jsonBody, mp4Video, pngImage, sendJson, startFakeServer } from '../fake-http.ts';
import { falImageSizes } from '../../../packages/providers/src/fal/fal-models.ts';

export const falGoodKey = 'fal-key-id:fal-key-secret';
export const falBadKey = 'fal-key-id:revoked';

interface QueuedRequest {
  id: string;
  endpoint: string;
  input: Record<string, unknown>;
  createdAt: number;
  cancelled: boolean;
  fault: 'content_policy' | 'expired_output' | undefined;
  hangPolls: number;
  result?: unknown;
}

/**
 * Every input field each endpoint documents (the endpoint types of @fal-ai/client 1.10.1 and the
 * model pages); anything else is refused, so a misspelt or invented field fails here first.
 */
const wanFields = ['prompt', 'negative_prompt', 'num_frames', 'frames_per_second', 'seed', 'resolution', 'aspect_ratio', 'num_inference_steps', 'enable_safety_checker', 'enable_output_safety_checker', 'enable_prompt_expansion', 'acceleration', 'guidance_scale', 'guidance_scale_2', 'shift', 'interpolator_model', 'num_interpolated_frames', 'adjust_fps_for_interpolation', 'video_quality', 'video_write_mode'];
const fluxFields = ['prompt', 'image_size', 'num_images', 'seed', 'output_format', 'num_inference_steps', 'guidance_scale', 'enable_safety_checker', 'sync_mode', 'acceleration'];
const endpointFields = new Map<string, readonly string[]>([
  ['fal-ai/flux/schnell', fluxFields],
  ['fal-ai/flux/dev', fluxFields],
  ['fal-ai/kling-video/v2.1/master/text-to-video', ['prompt', 'duration', 'aspect_ratio', 'negative_prompt', 'cfg_scale']],
  ['fal-ai/kling-video/v2.1/master/image-to-video', ['prompt', 'duration', 'image_url', 'negative_prompt', 'cfg_scale']],
  ['fal-ai/pika/v2/turbo/text-to-video', ['prompt', 'aspect_ratio', 'seed', 'negative_prompt', 'resolution', 'duration']],
  ['fal-ai/ltx-2/text-to-video/fast', ['prompt', 'duration', 'resolution', 'fps', 'generate_audio']],
  ['fal-ai/wan/v2.2-a14b/text-to-video', wanFields],
  ['fal-ai/wan/v2.2-a14b/image-to-video', [...wanFields, 'image_url', 'end_image_url']],
  ['fal-ai/mochi-v1', ['prompt', 'negative_prompt', 'seed', 'enable_prompt_expansion']],
]);

type Issue = { loc: string[]; msg: string; type: string };

const isImageUrl = (value: unknown) => /^(https:\/\/|data:image\/)/.test(String(value));
const isInteger = (value: unknown, min: number, max: number) => Number.isInteger(value) && Number(value) >= min && Number(value) <= max;

function validate(endpoint: string, input: Record<string, unknown>, fields: readonly string[]): Issue[] {
  const issues: Issue[] = [];
  const issue = (field: string, msg: string, type = 'value_error') => issues.push({ loc: ['body', field], msg, type });
  for (const field of Object.keys(input)) if (!fields.includes(field)) issue(field, 'extra fields not permitted', 'extra_forbidden');
  if (typeof input.prompt !== 'string' || input.prompt === '') issue('prompt', 'field required');
  if (input.seed !== undefined && !Number.isInteger(input.seed)) issue('seed', 'value is not a valid integer');
  if (input.negative_prompt !== undefined && typeof input.negative_prompt !== 'string') issue('negative_prompt', 'str type expected');
  if (endpoint.startsWith('fal-ai/flux/')) {
    const size = input.image_size;
    const named = Object.values(falImageSizes).map((entry) => entry.name);
    const ok = typeof size === 'string' ? [...named, 'square', 'landscape_4_3'].includes(size) : typeof size === 'object' && size !== null && Number.isInteger((size as { width?: unknown }).width) && Number.isInteger((size as { height?: unknown }).height);
    if (!ok) issue('image_size', 'value is not a valid enumeration member or {width, height}');
    if (input.num_images !== undefined && !isInteger(input.num_images, 1, 4)) issue('num_images', 'ensure this value is between 1 and 4');
    if (input.output_format !== undefined && !['jpeg', 'png'].includes(String(input.output_format))) issue('output_format', "value is not one of 'jpeg', 'png'");
  }
  if (endpoint.includes('kling-video')) {
    if (!['5', '10'].includes(String(input.duration))) issue('duration', "value is not one of '5', '10'");
    if (endpoint.endsWith('image-to-video') && !isImageUrl(input.image_url)) issue('image_url', 'must be a URL or a data URI');
  }
  // fal's DurationEnum for LTX-2 is a string enum (default "6"), as @fal-ai/client's endpoint types say.
  if (endpoint.includes('ltx-2') && input.duration !== undefined && !['6', '8', '10', '12', '14', '16', '18', '20'].includes(input.duration as string)) {
    issue('duration', "value is not one of '6', '8', '10', '12', '14', '16', '18', '20'");
  }
  if (endpoint.startsWith('fal-ai/wan/')) {
    const i2v = endpoint.endsWith('image-to-video');
    if (input.num_frames !== undefined && !isInteger(input.num_frames, 17, 161)) issue('num_frames', 'ensure this value is an integer between 17 and 161');
    if (input.frames_per_second !== undefined && !isInteger(input.frames_per_second, 4, 60)) issue('frames_per_second', 'ensure this value is an integer between 4 and 60');
    if (input.resolution !== undefined && !['480p', '580p', '720p'].includes(String(input.resolution))) issue('resolution', "value is not one of '480p', '580p', '720p'");
    const ratios = i2v ? ['auto', '16:9', '9:16', '1:1'] : ['16:9', '9:16', '1:1'];
    if (input.aspect_ratio !== undefined && !ratios.includes(String(input.aspect_ratio))) issue('aspect_ratio', `value is not one of ${ratios.map((ratio) => `'${ratio}'`).join(', ')}`);
    if (i2v && !isImageUrl(input.image_url)) issue('image_url', 'field required: a URL or a data URI');
  }
  if (endpoint === 'fal-ai/mochi-v1' && input.enable_prompt_expansion !== undefined && typeof input.enable_prompt_expansion !== 'boolean') {
    issue('enable_prompt_expansion', 'value could not be parsed to a boolean');
  }
  return issues;
}

/** The short side fal's WAN renders at for each resolution name. */
const wanShortSides: Record<string, number> = { '480p': 480, '580p': 580, '720p': 720 };

/** WAN image to video with aspect_ratio "auto" keeps the image's shape: the nearest of its ratios. */
async function wanAspectRatio(input: Record<string, unknown>): Promise<string> {
  const ratio = String(input.aspect_ratio ?? '16:9');
  if (ratio !== 'auto') return ratio;
  const base64 = /^data:image\/[\w.+-]+;base64,(.*)$/.exec(String(input.image_url))?.[1];
  const meta = base64 === undefined ? undefined : await sharp(Buffer.from(base64, 'base64')).metadata();
  const shape = meta?.width && meta.height ? meta.width / meta.height : 16 / 9;
  return shape > 1.3 ? '16:9' : shape < 0.77 ? '9:16' : '1:1';
}

async function videoSize(input: Record<string, unknown>, endpoint: string): Promise<{ width: number; height: number; seconds: number }> {
  const even = (value: number) => Math.round(value / 2) * 2;
  const shaped = (ratio: string, short: number) => {
    const [w = 16, h = 9] = ratio.split(':').map(Number);
    return w >= h ? { width: even((short * w) / h), height: short } : { width: short, height: even((short * h) / w) };
  };
  if (endpoint.includes('ltx-2')) return { width: 1920, height: 1080, seconds: Number(input.duration ?? 6) };
  if (endpoint === 'fal-ai/mochi-v1') return { width: 848, height: 480, seconds: 5 };
  if (endpoint.startsWith('fal-ai/wan/')) {
    const size = shaped(await wanAspectRatio(input), wanShortSides[String(input.resolution ?? '720p')] ?? 720);
    return { ...size, seconds: Number(input.num_frames ?? 81) / Number(input.frames_per_second ?? 16) };
  }
  return { ...shaped(String(input.aspect_ratio ?? '16:9'), 360), seconds: Number(input.duration ?? 5) };
}

export async function startFalFake(options: { requestMs?: number } = {}): Promise<FakeProvider> {
  const requestMs = options.requestMs ?? 500;
  const faults = new FaultQueue();
  const queue = new Map<string, QueuedRequest>();
  const address = { url: '' };
  const files = new OutputFiles(() => address.url);
  let next = 0;

  function state(entry: QueuedRequest): 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED' {
    const elapsed = (Date.now() - entry.createdAt) / requestMs;
    if (entry.cancelled) return 'CANCELLED';
    if (elapsed < 0.3) return 'IN_QUEUE';
    return elapsed < 1 ? 'IN_PROGRESS' : 'COMPLETED';
  }

  async function result(entry: QueuedRequest): Promise<{ status: number; body: unknown }> {
    if (entry.fault === 'content_policy' && !entry.endpoint.startsWith('fal-ai/flux/')) {
      return { status: 422, body: { detail: [{ loc: ['body', 'prompt'], msg: 'The content could not be processed because it contained material flagged by a content checker.', type: 'content_policy_violation' }] } };
    }
    const expired = entry.fault === 'expired_output';
    if (entry.result !== undefined && !expired) return { status: 200, body: entry.result };
    let body: unknown;
    if (entry.endpoint.startsWith('fal-ai/flux/')) {
      const size = entry.input.image_size;
      const dims = typeof size === 'object' && size !== null ? (size as { width: number; height: number }) : (Object.values(falImageSizes).find((item) => item.name === size) ?? { width: 1024, height: 768 });
      const png = entry.input.output_format === 'png';
      const count = Number(entry.input.num_images ?? 1);
      const images = [];
      for (let index = 0; index < count; index++) {
        const data = png ? pngImage(dims.width, dims.height, next + index) : await jpegImage(dims.width, dims.height, next + index);
        images.push({ url: files.add(data, png ? 'image/png' : 'image/jpeg', png ? 'png' : 'jpg', expired), width: dims.width, height: dims.height, content_type: png ? 'image/png' : 'image/jpeg' });
      }
      const flagged = entry.fault === 'content_policy';
      body = { images, seed: Number(entry.input.seed ?? 1234), has_nsfw_concepts: images.map(() => flagged), prompt: entry.input.prompt };
    } else {
      const { width, height, seconds } = await videoSize(entry.input, entry.endpoint);
      const video = { url: files.add(await mp4Video(width, height, seconds, next), 'video/mp4', 'mp4', expired), content_type: 'video/mp4' };
      // WAN answers with the seed (and prompt) it used; Kling, Pika, LTX and Mochi with the video only.
      body = entry.endpoint.startsWith('fal-ai/wan/') ? { video, seed: Number(entry.input.seed ?? 42), prompt: entry.input.prompt } : { video };
    }
    if (expired) entry.fault = undefined;
    else entry.result = body;
    return { status: 200, body };
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    if (files.serve(request.path, response)) return;
    if (request.headers.authorization !== `Key ${falGoodKey}`) return sendJson(response, 401, { detail: 'Invalid Key Authorization header' });
    const path = (request.path.split('?')[0] ?? '').replace(/^\/+/, '');
    const match = /^([\w-]+\/[\w.-]+)\/requests\/([\w-]+)(\/status|\/cancel)?$/.exec(path);
    if (match?.[1] && match[2]) {
      const entry = queue.get(match[2]);
      // The owner/app part of the endpoint id: all of it for a two-part id like fal-ai/mochi-v1.
      const app = match[1];
      if (!entry || (entry.endpoint !== app && !entry.endpoint.startsWith(`${app}/`))) return sendJson(response, 404, { detail: 'Request not found' });
      if (match[3] === '/status' && request.method === 'GET') {
        if (entry.hangPolls > 0) {
          entry.hangPolls--;
          return hang(response);
        }
        const status = state(entry);
        const urls = { response_url: `${address.url}/${match[1]}/requests/${entry.id}`, status_url: `${address.url}/${match[1]}/requests/${entry.id}/status`, cancel_url: `${address.url}/${match[1]}/requests/${entry.id}/cancel` };
        if (status === 'IN_QUEUE') return sendJson(response, 202, { status, request_id: entry.id, queue_position: 1, ...urls });
        if (status === 'IN_PROGRESS') return sendJson(response, 202, { status, request_id: entry.id, logs: [{ message: 'Loading model', level: 'INFO', timestamp: '' }, { message: `Generating: ${Math.round(((Date.now() - entry.createdAt) / requestMs) * 100)}%`, level: 'INFO', timestamp: '' }], ...urls });
        return sendJson(response, 200, { status: status === 'CANCELLED' ? 'COMPLETED' : status, request_id: entry.id, logs: [], metrics: { inference_time: 0.4 }, ...urls });
      }
      if (match[3] === '/cancel' && request.method === 'PUT') {
        if (state(entry) !== 'IN_QUEUE') return sendJson(response, 400, { status: 'ALREADY_COMPLETED' });
        entry.cancelled = true;
        return sendJson(response, 202, { status: 'CANCELLATION_REQUESTED' });
      }
      if (match[3] === undefined && request.method === 'GET') {
        if (entry.cancelled) return sendJson(response, 400, { detail: 'Request was cancelled' });
        if (state(entry) !== 'COMPLETED') return sendJson(response, 400, { detail: 'Request is still in progress' });
        const answer = await result(entry);
        return sendJson(response, answer.status, answer.body);
      }
    }
    const fields = request.method === 'POST' ? endpointFields.get(path) : undefined;
    if (fields) {
      const input = jsonBody(request);
      const issues = input ? validate(path, input, fields) : [{ loc: ['body'], msg: 'a JSON object is required', type: 'type_error' }];
      if (issues.length > 0 || !input) return sendJson(response, 422, { detail: issues });
      const fault = faults.take();
      if (fault === 'rate_limit') return sendJson(response, 429, { detail: 'Rate limit exceeded' }, { 'retry-after': '1' });
      if (fault === 'server_error') return sendJson(response, 500, { detail: 'Internal Server Error' });
      if (fault === 'malformed') return sendJson(response, 200, { status: 'IN_QUEUE' });
      const id = `req-${++next}`;
      const [owner, app] = path.split('/');
      queue.set(id, { id, endpoint: path, input, createdAt: Date.now(), cancelled: false, fault: fault === 'content_policy' || fault === 'expired_output' ? fault : undefined, hangPolls: fault === 'hang' ? 1 : 0 });
      const base = `${address.url}/${owner}/${app}/requests/${id}`;
      return sendJson(response, 200, { status: 'IN_QUEUE', request_id: id, queue_position: 2, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` });
    }
    sendJson(response, 404, { detail: 'Not Found' });
  }

  const started = await startFakeServer(handle);
  address.url = started.url;
  return asFakeProvider(started, faults);
}
