// A fake of the Black Forest Labs API (https://docs.bfl.ai/api-reference): POST /v1/{model} with the
// x-key header answering {id, polling_url}, GET /v1/get_result?id= moving Pending (with progress)
// → Ready with a signed sample URL that expires, the moderation statuses, FastAPI-style 422
// {detail:[{loc,msg,type}]} validation, 403 for a bad key, 402 for no credits, 429 for too many tasks.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FakeFault, FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, OutputFiles, asFakeProvider, hang, jpegImage, jsonBody, pngImage, sendJson, startFakeServer } from '../fake-http.ts';

export const bflGoodKey = 'bfl-good-0f5b6c1e-2d3a-4e8f-9a7b-fakefakefake';
export const bflBadKey = 'bfl-revoked-7a1c2b3d-4e5f-6a7b-8c9d-fakefakefake';
/** A key whose account has no credits left (402). */
export const bflBrokeKey = 'bfl-broke-00000000-0000-0000-0000-fakefakefake';

const pixelModels = new Set(['flux-pro-1.1', 'flux-dev']);
const ratioModels = new Set(['flux-pro-1.1-ultra', 'flux-kontext-pro', 'flux-kontext-max']);
const pixelFields = new Set(['prompt', 'width', 'height', 'seed', 'output_format', 'safety_tolerance', 'prompt_upsampling', 'image_prompt', 'webhook_url', 'webhook_secret']);
const ratioFields = new Set(['prompt', 'aspect_ratio', 'seed', 'output_format', 'safety_tolerance', 'prompt_upsampling', 'raw', 'image_prompt', 'image_prompt_strength', 'input_image', 'input_image_2', 'input_image_3', 'input_image_4', 'webhook_url', 'webhook_secret']);

interface Task {
  id: string;
  model: string;
  width: number;
  height: number;
  format: string;
  seed: number;
  polls: number;
  fault: FakeFault | undefined;
  sample?: string;
}

export interface BflFakeOptions {
  /** Polls answering Pending before the task is Ready. */
  pendingPolls?: number;
}

function unprocessable(response: ServerResponse, loc: string, msg: string): void {
  sendJson(response, 422, { detail: [{ loc: ['body', loc], msg, type: 'value_error' }] });
}

/** Output pixels for an aspect_ratio model: ultra renders about 4 MP, kontext about 1 MP. */
function ratioSize(model: string, ratio: string): [number, number] | undefined {
  const match = /^(\d+):(\d+)$/.exec(ratio);
  if (!match) return undefined;
  const w = Number(match[1]);
  const h = Number(match[2]);
  if (w / h > 7 / 3 + 1e-9 || h / w > 7 / 3 + 1e-9) return undefined;
  const megapixels = model === 'flux-pro-1.1-ultra' ? 4 : 1;
  const width = Math.round(Math.sqrt((megapixels * 1024 * 1024 * w) / h) / 32) * 32;
  return [width, Math.round((width * h) / w / 32) * 32];
}

export async function startBflFake(options: BflFakeOptions = {}): Promise<FakeProvider> {
  const pendingPolls = options.pendingPolls ?? 1;
  const faults = new FaultQueue();
  const tasks = new Map<string, Task>();
  const files = new OutputFiles(() => server.url);

  function submit(model: string, request: RecordedRequest, response: ServerResponse): void {
    if (!pixelModels.has(model) && !ratioModels.has(model)) return sendJson(response, 404, { detail: 'Not Found' });
    const body = jsonBody(request);
    if (!body) return sendJson(response, 422, { detail: [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }] });
    const allowed = pixelModels.has(model) ? pixelFields : ratioFields;
    const extra = Object.keys(body).find((name) => !allowed.has(name));
    if (extra) return unprocessable(response, extra, 'Extra inputs are not permitted');
    if (typeof body.prompt !== 'string') return unprocessable(response, 'prompt', 'Field required');
    let width = 1024;
    let height = 768;
    if (pixelModels.has(model)) {
      for (const name of ['width', 'height'] as const) {
        const value = body[name] ?? (name === 'width' ? 1024 : 768);
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 256 || value > 1440) return unprocessable(response, name, 'Input should be between 256 and 1440');
        if (value % 32 !== 0) return unprocessable(response, name, 'Input should be a multiple of 32');
      }
      width = Number(body.width ?? 1024);
      height = Number(body.height ?? 768);
    } else {
      const ratio = body.aspect_ratio ?? (model === 'flux-pro-1.1-ultra' ? '16:9' : '1:1');
      const size = typeof ratio === 'string' ? ratioSize(model, ratio) : undefined;
      if (!size) return unprocessable(response, 'aspect_ratio', 'Aspect ratio must be between 21:9 and 9:21');
      [width, height] = size;
    }
    const format = body.output_format ?? 'jpeg';
    if (format !== 'jpeg' && format !== 'png') return unprocessable(response, 'output_format', "Input should be 'jpeg' or 'png'");
    const tolerance = body.safety_tolerance ?? 2;
    if (typeof tolerance !== 'number' || !Number.isInteger(tolerance) || tolerance < 0 || tolerance > 6) return unprocessable(response, 'safety_tolerance', 'Input should be between 0 and 6');
    if (body.prompt_upsampling !== undefined && typeof body.prompt_upsampling !== 'boolean') return unprocessable(response, 'prompt_upsampling', 'Input should be a valid boolean');
    for (const name of ['image_prompt', 'input_image', 'input_image_2', 'input_image_3', 'input_image_4']) {
      const value = body[name];
      if (value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(value))) return unprocessable(response, name, 'Input should be a base64 encoded image or a URL');
    }
    if (body.input_image_2 !== undefined && body.input_image === undefined) return unprocessable(response, 'input_image', 'input_image is required when input_image_2 is given');
    const fault = faults.take();
    if (fault === 'rate_limit') return sendJson(response, 429, { detail: 'You have exceeded the number of allowed active tasks (24). Please wait for some tasks to finish.' });
    if (fault === 'server_error') return sendJson(response, 500, { detail: 'Internal Server Error' });
    if (fault === 'malformed') return sendJson(response, 200, { id: randomUUID() });
    const id = randomUUID();
    tasks.set(id, { id, model, width, height, format, seed: Number(body.seed ?? 0), polls: 0, fault });
    sendJson(response, 200, { id, polling_url: `${server.url}/v1/get_result?id=${id}` });
  }

  async function poll(id: string, response: ServerResponse): Promise<void> {
    const task = tasks.get(id);
    if (!task) return sendJson(response, 200, { id, status: 'Task not found', result: null, progress: null });
    task.polls += 1;
    // A hung job's first poll never answers; the next poll of the same task goes through.
    if (task.fault === 'hang' && task.polls === 1) return hang(response);
    if (task.polls <= pendingPolls) return sendJson(response, 200, { id, status: 'Pending', result: null, progress: Math.min(0.9, task.polls * 0.4) });
    if (task.fault === 'content_policy') return sendJson(response, 200, { id, status: 'Content Moderated', result: null, details: { 'Moderation Reasons': ['Derivative Works Filter'] } });
    if (!task.sample || task.fault === 'expired_output') {
      const data = task.format === 'png' ? pngImage(task.width, task.height, task.seed) : await jpegImage(task.width, task.height, task.seed);
      // An expired job's first sample URL is already dead; polling again signs a fresh one.
      task.sample = files.add(data, `image/${task.format}`, task.format, task.fault === 'expired_output' && task.polls === pendingPolls + 1);
    }
    sendJson(response, 200, { id, status: 'Ready', result: { sample: task.sample, prompt: 'fake', seed: task.seed, start_time: 0, end_time: 1, duration: 1 }, progress: null });
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    if (files.serve(request.path, response)) return;
    const key = request.headers['x-key'];
    if (key !== bflGoodKey && key !== bflBrokeKey) return sendJson(response, 403, { detail: 'Not authenticated - Invalid Authentication' });
    const url = new URL(request.path, 'http://fake');
    if (request.method === 'GET' && url.pathname === '/v1/get_result') return poll(url.searchParams.get('id') ?? '', response);
    const model = /^\/v1\/([\w.-]+)$/.exec(url.pathname)?.[1];
    if (model && request.method === 'POST') {
      if (key === bflBrokeKey) return sendJson(response, 402, { detail: 'Insufficient credits. Please add credits to your account.' });
      return submit(model, request, response);
    }
    sendJson(response, 404, { detail: 'Not Found' });
  }

  const server = await startFakeServer(handle);
  return asFakeProvider(server, faults);
}
