// A fake of OpenAI's API on loopback: images (generations, multipart edits with a mask), Sora videos
// (create, remix, status that advances per poll, content download) and speech, with Bearer auth, the API's
// request validation and error bodies, rate-limit headers and injectable faults.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import { FaultQueue, asFakeProvider, startFakeServer } from '../fake-http.ts';
import type { FakeFault, FakeProvider, RecordedRequest } from '../subject.ts';
import { image, mp3Audio, mp4Video, wavAudio } from './media.ts';

export interface OpenAIFake extends FakeProvider {
  /** Parsed multipart fields of a recorded request (edits, videos with input_reference). */
  form(request: RecordedRequest): Promise<FormData>;
}

interface FakeVideo {
  id: string;
  model: string;
  prompt: string;
  remixedFrom: string | null;
  seconds: string;
  size: string;
  polls: number;
  fault: FakeFault | undefined;
  /** Whether the content download has already answered as expired once. */
  expiredServed: boolean;
}

type Body = Record<string, unknown>;

const imageModels: Record<string, { sizes: string[] | 'grid'; qualities: string[]; maxN: number }> = {
  'gpt-image-1': { sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'], qualities: ['low', 'medium', 'high', 'auto'], maxN: 10 },
  'gpt-image-1-mini': { sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'], qualities: ['low', 'medium', 'high', 'auto'], maxN: 10 },
  'gpt-image-1.5': { sizes: ['1024x1024', '1536x1024', '1024x1536', 'auto'], qualities: ['low', 'medium', 'high', 'auto'], maxN: 10 },
  'gpt-image-2': { sizes: 'grid', qualities: ['low', 'medium', 'high', 'auto'], maxN: 10 },
  'dall-e-3': { sizes: ['1024x1024', '1792x1024', '1024x1792'], qualities: ['standard', 'hd'], maxN: 1 },
};
const speechModels = ['tts-1', 'tts-1-hd', 'gpt-4o-mini-tts'];
const voices = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];
const videoSizes: Record<string, string[]> = {
  'sora-2': ['720x1280', '1280x720'],
  'sora-2-pro': ['720x1280', '1280x720', '1024x1792', '1792x1024'],
};

function newVideoId(): string {
  return `video_${randomBytes(12).toString('hex')}`;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${randomBytes(6).toString('hex')}`, ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, error: ApiError, headers: Record<string, string> = {}): void {
  send(response, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } }, headers);
}

function sendBytes(response: ServerResponse, data: Buffer, mime: string): void {
  response.writeHead(200, { 'content-type': mime, 'content-length': String(data.length) });
  response.end(data);
}

const rateLimitHeaders = {
  'retry-after-ms': '600',
  'x-ratelimit-limit-requests': '50',
  'x-ratelimit-remaining-requests': '0',
  'x-ratelimit-reset-requests': '600ms',
};

function parseForm(request: RecordedRequest): Promise<FormData> {
  return new Request('http://fake.local/', {
    method: 'POST',
    headers: { 'content-type': request.headers['content-type'] ?? '' },
    body: new Uint8Array(request.body),
  }).formData();
}

function parseJson(request: RecordedRequest): Body {
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Body;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'We could not parse the JSON body of your request.');
}

async function bodyOf(request: RecordedRequest): Promise<Body> {
  if ((request.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
    const form = await parseForm(request);
    const body: Body = {};
    form.forEach((value, name) => {
      if (name === 'image[]' || name === 'image') body.image = [...((body.image as unknown[]) ?? []), value];
      else body[name] = value;
    });
    return body;
  }
  return parseJson(request);
}

function requireString(body: Body, field: string, max?: number): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new ApiError(400, `Missing required parameter: '${field}'.`, field, 'missing_required_parameter');
  if (max !== undefined && value.length > max) throw new ApiError(400, `'${field}' is too long: maximum ${max} characters.`, field, 'string_above_max_length');
  return value;
}

function oneOf(body: Body, field: string, allowed: string[]): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new ApiError(400, `Invalid value: '${String(value)}'. Supported values are: ${allowed.map((item) => `'${item}'`).join(', ')}.`, field, 'invalid_value');
  }
  return value;
}

function number(body: Body, field: string): number | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? Number(value) : value;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed)) throw new ApiError(400, `Invalid type for '${field}': expected a number.`, field, 'invalid_type');
  return parsed;
}

export interface OpenAIFakeOptions {
  keys: string[];
  /** Status polls after which a video is completed (default 3: queued, 34 %, 68 %, done). */
  pollsToComplete?: number;
}

export async function startOpenAIFake(options: OpenAIFakeOptions): Promise<OpenAIFake> {
  const step = Math.ceil(100 / (options.pollsToComplete ?? 3));
  const faults = new FaultQueue();
  const videos = new Map<string, FakeVideo>();
  const hung = new Set<ServerResponse>();

  async function images(request: RecordedRequest, response: ServerResponse, edit: boolean, fault: FakeFault | undefined): Promise<void> {
    const body = await bodyOf(request);
    const model = oneOf(body, 'model', Object.keys(imageModels)) ?? 'dall-e-2';
    const spec = imageModels[model];
    if (spec === undefined) throw new ApiError(400, `The model '${model}' does not exist.`, 'model', 'model_not_found');
    const gpt = model.startsWith('gpt-image');
    requireString(body, 'prompt', gpt ? 32000 : 4000);
    const n = number(body, 'n') ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > spec.maxN) throw new ApiError(400, `Invalid 'n': must be between 1 and ${spec.maxN} for ${model}.`, 'n', 'invalid_value');
    let size = typeof body.size === 'string' ? body.size : '1024x1024';
    if (spec.sizes === 'grid') {
      const match = /^(\d+)x(\d+)$/.exec(size);
      const [w, h] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
      if (!match || w % 16 !== 0 || h % 16 !== 0 || Math.max(w, h) / Math.min(w, h) > 3 || Math.max(w, h) > 3840 || Math.min(w, h) > 2160) {
        throw new ApiError(400, `Invalid size '${size}'. Width and height must be multiples of 16 with an aspect ratio between 1:3 and 3:1.`, 'size', 'invalid_value');
      }
    } else {
      oneOf(body, 'size', spec.sizes);
    }
    if (size === 'auto') size = '1024x1024';
    oneOf(body, 'quality', spec.qualities);
    if (!gpt && body.output_format !== undefined) throw new ApiError(400, "Unknown parameter: 'output_format'.", 'output_format', 'unknown_parameter');
    if (gpt && body.response_format !== undefined) throw new ApiError(400, "Unknown parameter: 'response_format'.", 'response_format', 'unknown_parameter');
    const format = (oneOf(body, 'output_format', ['png', 'jpeg', 'webp']) ?? 'png') as 'png' | 'jpeg' | 'webp';
    if (!gpt && body.response_format !== 'b64_json') throw new Error('the fake serves DALL·E images as b64_json only; send response_format');
    if (edit) {
      const files = (body.image as unknown[] | undefined) ?? [];
      if (files.length === 0) throw new ApiError(400, "Missing required parameter: 'image'.", 'image', 'missing_required_parameter');
      if (files.length > 16) throw new ApiError(400, "Invalid 'image': at most 16 images.", 'image', 'invalid_value');
      for (const file of files) {
        if (!(file instanceof Blob) || !['image/png', 'image/jpeg', 'image/webp'].includes(file.type)) {
          throw new ApiError(400, "Invalid file 'image': unsupported mimetype. Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.", 'image', 'invalid_image_file');
        }
        await sharp(Buffer.from(await file.arrayBuffer())).metadata().catch(() => {
          throw new ApiError(400, "Invalid image file or mode for image 'image'.", 'image', 'invalid_image_file');
        });
      }
      await checkMask(body.mask, files[0] as Blob);
    } else if (body.mask !== undefined) {
      throw new ApiError(400, "Unknown parameter: 'mask'.", 'mask', 'unknown_parameter');
    }
    if (fault === 'content_policy') {
      const code = gpt ? 'moderation_blocked' : 'content_policy_violation';
      throw new ApiError(400, 'Your request was rejected as a result of our safety system.', null, code, gpt ? 'image_generation_user_error' : 'invalid_request_error');
    }
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"created": 1767225600, "data": [{"b64_json": ');
      return;
    }
    const [width, height] = size.split('x').map(Number) as [number, number];
    const data = await Promise.all(
      Array.from({ length: n }, async (_unused, index) => ({ b64_json: (await image(width, height, format, index + 1)).toString('base64') })),
    );
    send(response, 200, { created: Math.floor(Date.now() / 1000), data, ...(gpt ? { output_format: format, size, usage: { total_tokens: 100 } } : {}) });
  }

  /** "A valid PNG file, less than 4MB, and have the same dimensions as image", with an alpha channel. */
  async function checkMask(mask: unknown, first: Blob): Promise<void> {
    if (mask === undefined) return;
    if (!(mask instanceof Blob)) throw new ApiError(400, "Invalid 'mask': expected a file.", 'mask', 'invalid_value');
    if (mask.size >= 4 * 1024 * 1024) throw new ApiError(400, "Invalid 'mask': the mask must be less than 4MB.", 'mask', 'invalid_image_file');
    const meta = await sharp(Buffer.from(await mask.arrayBuffer()))
      .metadata()
      .catch(() => undefined);
    if (meta?.format !== 'png' || mask.type !== 'image/png' || !meta.hasAlpha) {
      throw new ApiError(400, "Invalid mask image file or mode for 'mask': the mask must be a PNG with an alpha channel.", 'mask', 'invalid_image_file');
    }
    const image = await sharp(Buffer.from(await first.arrayBuffer())).metadata();
    if (meta.width !== image.width || meta.height !== image.height) {
      throw new ApiError(400, `Invalid 'mask': the mask (${meta.width}x${meta.height}) and the image (${image.width}x${image.height}) must have the same dimensions.`, 'mask', 'invalid_image_file');
    }
  }

  async function speech(request: RecordedRequest, response: ServerResponse, fault: FakeFault | undefined): Promise<void> {
    const body = parseJson(request);
    const model = requireString(body, 'model');
    if (!speechModels.includes(model)) throw new ApiError(404, `The model '${model}' does not exist or you do not have access to it.`, null, 'model_not_found');
    const input = requireString(body, 'input', 4096);
    const voice = requireString(body, 'voice');
    if (!voices.includes(voice)) throw new ApiError(400, `Invalid value: '${voice}'. Supported values are: ${voices.join(', ')}.`, 'voice', 'invalid_value');
    const format = oneOf(body, 'response_format', ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']) ?? 'mp3';
    const speed = number(body, 'speed');
    if (speed !== undefined && (speed < 0.25 || speed > 4)) throw new ApiError(400, "Invalid 'speed': must be between 0.25 and 4.0.", 'speed', 'invalid_value');
    if (body.instructions !== undefined && model !== 'gpt-4o-mini-tts') {
      throw new ApiError(400, 'Instructions are not supported for tts-1 or tts-1-hd.', 'instructions', 'unsupported_parameter');
    }
    if (fault === 'malformed') {
      sendBytes(response, Buffer.from('{"status":"ok"}'), 'audio/mpeg');
      return;
    }
    const seconds = Math.max(1, Math.min(20, Math.round(input.length / 15)));
    if (format === 'wav') sendBytes(response, wavAudio(seconds, 440), 'audio/wav');
    else if (format === 'mp3') sendBytes(response, await mp3Audio(seconds), 'audio/mpeg');
    else throw new Error(`the fake does not render ${format}`);
  }

  function videoObject(video: FakeVideo): Body {
    const progress = video.polls === 0 ? 0 : Math.min(100, video.polls * step);
    const failed = video.fault === 'content_policy' && video.polls >= 1;
    const status = failed ? 'failed' : video.polls === 0 ? 'queued' : progress >= 100 ? 'completed' : 'in_progress';
    return {
      id: video.id,
      object: 'video',
      model: video.model,
      status,
      progress: status === 'completed' ? 100 : progress,
      created_at: 1767225600,
      completed_at: status === 'completed' ? 1767225700 : null,
      expires_at: status === 'completed' ? 1767312100 : null,
      prompt: video.prompt,
      remixed_from_video_id: video.remixedFrom,
      seconds: video.seconds,
      size: video.size,
      error: failed ? { code: 'moderation_blocked', message: 'The video was blocked by our moderation system.' } : null,
    };
  }

  async function createVideo(request: RecordedRequest, response: ServerResponse, fault: FakeFault | undefined): Promise<void> {
    const body = await bodyOf(request);
    const model = oneOf(body, 'model', Object.keys(videoSizes)) ?? 'sora-2';
    const prompt = requireString(body, 'prompt', 32000);
    const seconds = oneOf(body, 'seconds', ['4', '8', '12']) ?? '4';
    const size = oneOf(body, 'size', videoSizes[model] ?? []) ?? '720x1280';
    const reference = body.input_reference;
    if (reference !== undefined) {
      if (!(reference instanceof Blob)) throw new ApiError(400, "Invalid 'input_reference': expected a file.", 'input_reference', 'invalid_value');
      const meta = await sharp(Buffer.from(await reference.arrayBuffer())).metadata();
      if (`${meta.width}x${meta.height}` !== size) {
        throw new ApiError(400, `Inpaint image must match the requested width and height (${size}), got ${meta.width}x${meta.height}.`, 'input_reference', 'invalid_value');
      }
    }
    if (fault === 'malformed') {
      send(response, 200, { id: 42, object: 'video' });
      return;
    }
    const video: FakeVideo = { id: newVideoId(), model, prompt, remixedFrom: null, seconds, size, polls: 0, fault, expiredServed: false };
    videos.set(video.id, video);
    send(response, 200, videoObject(video));
  }

  /** POST /videos/{id}/remix: a JSON body with only a prompt; the source must be completed. */
  function remixVideo(request: RecordedRequest, response: ServerResponse, source: FakeVideo, fault: FakeFault | undefined): void {
    const body = parseJson(request);
    const unknown = Object.keys(body).find((name) => name !== 'prompt');
    if (unknown !== undefined) throw new ApiError(400, `Unknown parameter: '${unknown}'.`, unknown, 'unknown_parameter');
    const prompt = requireString(body, 'prompt', 32000);
    if (videoObject(source).status !== 'completed') {
      throw new ApiError(400, `Video '${source.id}' is not completed; only completed videos can be remixed.`, null, 'invalid_state');
    }
    const video: FakeVideo = { ...source, id: newVideoId(), prompt, remixedFrom: source.id, polls: 0, fault, expiredServed: false };
    videos.set(video.id, video);
    send(response, 200, videoObject(video));
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const url = new URL(request.path, 'http://fake.local');
    const route = `${request.method} ${url.pathname}`;
    const auth = request.headers.authorization ?? '';
    const secret = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!options.keys.includes(secret)) {
      const shown = secret === '' ? 'none' : `${secret.slice(0, 6)}***${secret.slice(-2)}`;
      throw new ApiError(401, `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`, null, 'invalid_api_key');
    }
    const remix = request.method === 'POST' && /^\/v1\/videos\/[\w-]+\/remix$/.test(url.pathname);
    const submit = remix || route === 'POST /v1/images/generations' || route === 'POST /v1/images/edits' || route === 'POST /v1/videos' || route === 'POST /v1/audio/speech';
    const fault = submit ? faults.take() : undefined;
    if (fault === 'rate_limit') {
      throw Object.assign(new ApiError(429, 'Rate limit reached for requests per min (RPM): Limit 50, Used 50, Requested 1. Please try again in 600ms.', null, 'rate_limit_exceeded', 'requests'), { headers: rateLimitHeaders });
    }
    if (fault === 'server_error') throw new ApiError(500, 'The server had an error while processing your request. Sorry about that!', null, null, 'server_error');
    if (fault === 'hang' && route !== 'POST /v1/videos' && !remix) {
      hung.add(response);
      return;
    }
    if (route === 'POST /v1/images/generations') return images(request, response, false, fault);
    if (route === 'POST /v1/images/edits') return images(request, response, true, fault);
    if (route === 'POST /v1/audio/speech') return speech(request, response, fault);
    if (route === 'POST /v1/videos') return createVideo(request, response, fault);
    const match = /^\/v1\/videos\/([\w-]+)(\/content|\/remix)?$/.exec(url.pathname);
    const video = match?.[1] ? videos.get(match[1]) : undefined;
    if (match && video === undefined) throw new ApiError(404, `Video with id '${match[1]}' not found.`, null, 'video_not_found');
    if (video && remix) return remixVideo(request, response, video, fault);
    if (video && request.method === 'GET' && match?.[2] === undefined) {
      if (video.fault === 'hang') {
        hung.add(response);
        return;
      }
      video.polls += 1;
      send(response, 200, videoObject(video));
      return;
    }
    if (video && request.method === 'GET' && match?.[2] === '/content') {
      if (videoObject(video).status !== 'completed') throw new ApiError(400, 'Video is not ready yet, use GET /v1/videos/{video_id} to check status.', null, 'video_not_ready');
      if (video.fault === 'expired_output' && !video.expiredServed) {
        video.expiredServed = true;
        throw new ApiError(404, 'The video content has expired.', null, 'video_expired');
      }
      const [width, height] = video.size.split('x').map(Number) as [number, number];
      sendBytes(response, await mp4Video(width, height, Number(video.seconds), 3), 'video/mp4');
      return;
    }
    if (video && request.method === 'DELETE' && match?.[2] === undefined) {
      if (videoObject(video).status !== 'completed' && videoObject(video).status !== 'failed') {
        throw new ApiError(400, 'Only completed or failed videos can be deleted.', null, 'invalid_state');
      }
      videos.delete(video.id);
      send(response, 200, { id: video.id, object: 'video.deleted', deleted: true });
      return;
    }
    throw new ApiError(404, `Invalid URL (${request.method} ${url.pathname})`, null, 'unknown_url');
  }

  const server = await startFakeServer((recorded, response) =>
    handle(recorded, response).catch((error: unknown) => {
      if (response.headersSent) return;
      if (error instanceof ApiError) sendError(response, error, (error as ApiError & { headers?: Record<string, string> }).headers ?? {});
      else send(response, 500, { error: { message: error instanceof Error ? error.message : String(error), type: 'server_error', param: null, code: null } });
    }),
  );
  return {
    ...asFakeProvider(server, faults),
    url: `${server.url}/v1`,
    form: parseForm,
    async close() {
      for (const response of hung) response.destroy();
      await server.close();
    },
  };
}
