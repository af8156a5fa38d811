// A fake of Luma's Dream Machine API under /dream-machine/v1: POST /generations (Ray video, with
// keyframes frame0/frame1 as {type: "image", url} that it fetches as Luma does, keeping what it got)
// and /generations/image (Photon), GET /generations/{id} moving queued → dreaming → completed over
// `generationMs`, DELETE /generations/{id}, Bearer keys, `{detail}` errors (400 for bad fields, 401
// for a bad key), and output files that can be made to expire. Faults: 429 and 500 on create, a
// create answer that is not a generation, a generation that fails moderation, a first status poll
// left unanswered, an already-expired first output URL.
import type { ServerResponse } from 'node:http';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, OutputFiles, asFakeProvider, hang, jpegImage, jsonBody, mp4Video, sendJson, startFakeServer } from '../fake-http.ts';
import { lumaAspectRatios } from '../../../packages/providers/src/luma/luma-models.ts';

export const lumaGoodKey = 'luma-good-key';
export const lumaBadKey = 'luma-revoked-key';
const prefix = '/dream-machine/v1';

interface Generation {
  id: string;
  kind: 'image' | 'video';
  createdAt: number;
  request: Record<string, unknown>;
  fault: 'content_policy' | 'expired_output' | undefined;
  hangPolls: number;
  output?: string;
}

const shortSides: Record<string, number> = { '540p': 540, '720p': 720, '1080p': 1080, '4k': 2160 };

/** A keyframe image the fake fetched from the URL a request gave it. */
export interface FetchedKeyframe {
  frame: 'frame0' | 'frame1';
  url: string;
  status: number;
  contentType: string;
  bytes: Buffer;
}

export interface LumaFake extends FakeProvider {
  /** Every keyframe fetched, in order. */
  keyframes: FetchedKeyframe[];
}

/** Why `value` is not Ray's keyframes object, or undefined when it is. */
function keyframesProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'keyframes: must be an object with frame0 and/or frame1';
  const entries = Object.entries(value);
  if (entries.length === 0) return 'keyframes: give frame0 and/or frame1';
  for (const [name, frame] of entries) {
    if (name !== 'frame0' && name !== 'frame1') return `keyframes.${name}: extra fields not permitted`;
    const fields = frame as Record<string, unknown> | null;
    if (typeof fields !== 'object' || fields === null || fields.type !== 'image') return `keyframes.${name}.type: must be "image" (or "generation")`;
    if (typeof fields.url !== 'string' || !/^https?:\/\/[^/\s]+/.test(fields.url)) return `keyframes.${name}.url: must be an http(s) URL`;
    if (Object.keys(fields).some((key) => key !== 'type' && key !== 'url')) return `keyframes.${name}: extra fields not permitted`;
  }
  return undefined;
}

function size(aspectRatio: string, shortSide: number): { width: number; height: number } {
  const [w = 16, h = 9] = aspectRatio.split(':').map(Number);
  const even = (value: number) => Math.round(value / 2) * 2;
  return w >= h ? { width: even((shortSide * w) / h), height: shortSide } : { width: shortSide, height: even((shortSide * h) / w) };
}

export async function startLumaFake(options: { generationMs?: number } = {}): Promise<LumaFake> {
  const generationMs = options.generationMs ?? 500;
  const faults = new FaultQueue();
  const generations = new Map<string, Generation>();
  const address = { url: '' };
  const files = new OutputFiles(() => address.url);
  const fetchedKeyframes: FetchedKeyframe[] = [];
  let next = 0;

  /** Fetches each keyframe as Luma does; a problem when one is not an image it can read. */
  async function fetchKeyframes(frames: Record<string, { url: string }>): Promise<string | undefined> {
    for (const [frame, { url }] of Object.entries(frames)) {
      const answer = await fetch(url).catch((error: unknown) => error as Error);
      if (answer instanceof Error) return `keyframes.${frame}.url: could not fetch the image: ${answer.message}`;
      const bytes = Buffer.from(await answer.arrayBuffer());
      const contentType = answer.headers.get('content-type') ?? '';
      fetchedKeyframes.push({ frame: frame as FetchedKeyframe['frame'], url, status: answer.status, contentType, bytes });
      if (!answer.ok) return `keyframes.${frame}.url: fetching the image answered ${answer.status}`;
      if (!/^image\/(png|jpeg|webp)$/.test(contentType)) return `keyframes.${frame}.url: not an image (${contentType || 'no content type'})`;
    }
    return undefined;
  }

  function problem(kind: 'image' | 'video', body: Record<string, unknown>): string | undefined {
    const models = kind === 'video' ? ['ray-2', 'ray-flash-2'] : ['photon-1', 'photon-flash-1'];
    if (!models.includes(String(body.model))) return `model: must be one of ${models.join(', ')}`;
    if (typeof body.prompt !== 'string' || body.prompt === '') return 'prompt: field required';
    if (body.aspect_ratio !== undefined && !(lumaAspectRatios as readonly string[]).includes(String(body.aspect_ratio))) return 'aspect_ratio: invalid value';
    if (kind === 'video') {
      if (!['5s', '9s'].includes(String(body.duration))) return 'duration: must be 5s or 9s';
      if (!(String(body.resolution) in shortSides)) return 'resolution: must be 540p, 720p, 1080p or 4k';
      if (body.keyframes !== undefined) return keyframesProblem(body.keyframes);
    } else if (body.keyframes !== undefined) {
      return 'keyframes: extra fields not permitted';
    }
    return undefined;
  }

  async function output(generation: Generation): Promise<string> {
    const expired = generation.fault === 'expired_output';
    if (generation.output && !expired) return generation.output;
    const ratio = String(generation.request.aspect_ratio ?? '16:9');
    let url: string;
    if (generation.kind === 'image') {
      const { width, height } = size(ratio, 768);
      url = files.add(await jpegImage(width, height, next), 'image/jpeg', 'jpg', expired);
    } else {
      const { width, height } = size(ratio, shortSides[String(generation.request.resolution)] ?? 720);
      const seconds = String(generation.request.duration) === '9s' ? 9 : 5;
      url = files.add(await mp4Video(width, height, seconds, next), 'video/mp4', 'mp4', expired);
    }
    if (expired) generation.fault = undefined;
    else generation.output = url;
    return url;
  }

  async function view(generation: Generation): Promise<Record<string, unknown>> {
    const base = { id: generation.id, generation_type: generation.kind, created_at: new Date(generation.createdAt).toISOString(), model: generation.request.model, request: generation.request };
    const elapsed = (Date.now() - generation.createdAt) / generationMs;
    if (elapsed < 0.25) return { ...base, state: 'queued', failure_reason: null, assets: null };
    if (elapsed < 1) return { ...base, state: 'dreaming', failure_reason: null, assets: null };
    if (generation.fault === 'content_policy') return { ...base, state: 'failed', failure_reason: 'Prompt failed moderation: the request was flagged as inappropriate', assets: null };
    const url = await output(generation);
    return { ...base, state: 'completed', failure_reason: null, assets: generation.kind === 'image' ? { image: url } : { video: url } };
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    if (files.serve(request.path, response)) return;
    if (request.headers.authorization !== `Bearer ${lumaGoodKey}`) return sendJson(response, 401, { detail: 'Invalid API key provided' });
    const path = (request.path.split('?')[0] ?? '').slice(prefix.length);
    if (!request.path.startsWith(prefix)) return sendJson(response, 404, { detail: 'Not Found' });
    if (request.method === 'POST' && (path === '/generations' || path === '/generations/image')) {
      const kind = path === '/generations' ? 'video' : 'image';
      const body = jsonBody(request);
      const invalid = body ? problem(kind, body) : 'body: a JSON object is required';
      if (invalid || !body) return sendJson(response, 400, { detail: invalid });
      if (body.keyframes !== undefined) {
        const unreadable = await fetchKeyframes(body.keyframes as Record<string, { url: string }>);
        if (unreadable) return sendJson(response, 400, { detail: unreadable });
      }
      const fault = faults.take();
      if (fault === 'rate_limit') return sendJson(response, 429, { detail: 'Too many requests, please slow down' }, { 'retry-after': '1' });
      if (fault === 'server_error') return sendJson(response, 500, { detail: 'Internal Server Error' });
      if (fault === 'malformed') return sendJson(response, 201, { ok: true });
      const id = `0b1c2d3e-0000-4000-8000-${String(++next).padStart(12, '0')}`;
      const generation: Generation = {
        id,
        kind,
        createdAt: Date.now(),
        request: body,
        fault: fault === 'content_policy' || fault === 'expired_output' ? fault : undefined,
        hangPolls: fault === 'hang' ? 1 : 0,
      };
      generations.set(id, generation);
      return sendJson(response, 201, await view(generation));
    }
    const match = /^\/generations\/([\w-]+)$/.exec(path);
    const generation = match?.[1] ? generations.get(match[1]) : undefined;
    if (match && !generation) return sendJson(response, 404, { detail: 'Generation not found' });
    if (generation && request.method === 'GET') {
      if (generation.hangPolls > 0) {
        generation.hangPolls--;
        return hang(response);
      }
      return sendJson(response, 200, await view(generation));
    }
    if (generation && request.method === 'DELETE') {
      generations.delete(generation.id);
      response.writeHead(204).end();
      return;
    }
    sendJson(response, 404, { detail: 'Not Found' });
  }

  const started = await startFakeServer(handle);
  address.url = started.url;
  return Object.assign(asFakeProvider(started, faults), { keyframes: fetchedKeyframes });
}
