// A fake of Replicate's HTTP API (https://replicate.com/docs/reference/http) under /v1: POST
// /models/{owner}/{name}/predictions (official models) and POST /predictions {version} (any model
// with a version), GET /predictions/{id} moving
// starting → processing (tqdm-style logs) → succeeded over `predictionMs`, POST /predictions/{id}/cancel,
// Bearer tokens, problem+json errors (422 for bad input, 401, 429 with Retry-After), Prefer: wait and
// Cancel-After honored, output URLs that can be made to expire. Faults: 429 and 500 on create, a create
// answer that is not a prediction, an NSFW failure, a first status poll left unanswered, an
// already-expired first output URL. Like Replicate (replicate/cog#2943) it ignores inputs a model
// does not declare; it checks the ones it does.
import type { ServerResponse } from 'node:http';
import { wavAudio } from '../../../packages/providers/src/simulated/media.ts';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, OutputFiles, asFakeProvider, hang, jpegImage, jsonBody, mp4Video, pngImage, sendJson, startFakeServer, webpImage } from '../fake-http.ts';

export const replicateGoodToken = 'r8_good_token';
export const replicateBadToken = 'r8_revoked_token';

interface FakeModel {
  kind: 'image' | 'video' | 'speech';
  /** Official models run by name (POST /models/…/predictions); the others only by version. */
  official: boolean;
}

const models: Record<string, FakeModel> = {
  'black-forest-labs/flux-schnell': { kind: 'image', official: true },
  'black-forest-labs/flux-dev': { kind: 'image', official: true },
  'wan-video/wan-2.7-t2v': { kind: 'video', official: true },
  // Models Mediagate has no mapping for, run by name or version with provider_input.
  'minimax/video-01': { kind: 'video', official: true },
  'stability-ai/sdxl': { kind: 'image', official: false },
  'jaaari/kokoro-82m': { kind: 'speech', official: false },
};
/** Versions the fake knows, for POST /predictions {version}. */
export const replicateVersions: Record<string, string> = {
  '5599ed30703defd1d160a25a63321b4dec97101d98b4674bcc56e41f62f35637': 'black-forest-labs/flux-schnell',
  '39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b': 'stability-ai/sdxl',
  f559560eb822dc509045f3921a1921234918b91739db4bf3daab2169b71c7a13: 'jaaari/kokoro-82m',
};

interface Prediction {
  id: string;
  model: string;
  input: Record<string, unknown>;
  createdAt: number;
  canceled: boolean;
  fault: 'content_policy' | 'expired_output' | undefined;
  hangPolls: number;
  cancelAfterMs: number | undefined;
  output?: string[];
}

function problem(response: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}): void {
  const text = JSON.stringify({ title, detail, status });
  response.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function parseDuration(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(\d+)(s|m|h)$/.exec(value.trim());
  if (!match?.[1]) return undefined;
  return Number(match[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'] ?? 1000);
}

export async function startReplicateFake(options: { predictionMs?: number } = {}): Promise<FakeProvider> {
  const predictionMs = options.predictionMs ?? 500;
  const faults = new FaultQueue();
  const predictions = new Map<string, Prediction>();
  const address = { url: '' };
  const files = new OutputFiles(() => address.url);
  let next = 0;

  function invalid(model: string, input: Record<string, unknown>): string | undefined {
    if (model === 'jaaari/kokoro-82m') {
      if (typeof input.text !== 'string' || input.text === '') return '- input: text is required';
      if (input.speed !== undefined && (typeof input.speed !== 'number' || input.speed < 0.1 || input.speed > 5)) return '- input.speed: Must be between 0.1 and 5';
      return undefined;
    }
    if (typeof input.prompt !== 'string' || input.prompt === '') return '- input: prompt is required';
    if (model === 'stability-ai/sdxl') {
      for (const side of ['width', 'height'] as const) {
        if (input[side] !== undefined && (!Number.isInteger(input[side]) || Number(input[side]) < 64 || Number(input[side]) > 2048)) return `- input.${side}: Must be between 64 and 2048`;
      }
      return undefined;
    }
    if (model === 'minimax/video-01') {
      if (input.prompt_optimizer !== undefined && typeof input.prompt_optimizer !== 'boolean') return '- input.prompt_optimizer: Invalid type. Expected: boolean';
      return undefined;
    }
    if (models[model]?.kind === 'image') {
      if (input.num_outputs !== undefined && (!Number.isInteger(input.num_outputs) || Number(input.num_outputs) < 1 || Number(input.num_outputs) > 4)) return '- input.num_outputs: Must be less than or equal to 4';
      if (input.output_format !== undefined && !['webp', 'jpg', 'png'].includes(String(input.output_format))) return '- input.output_format: output_format must be one of the following: "webp", "jpg", "png"';
    } else if (!Number.isInteger(input.duration) || Number(input.duration) < 2 || Number(input.duration) > 15) {
      return '- input.duration: Must be between 2 and 15';
    }
    return undefined;
  }

  async function outputs(entry: Prediction): Promise<string[]> {
    const expired = entry.fault === 'expired_output';
    if (entry.output && !expired) return entry.output;
    const urls: string[] = [];
    if (entry.model === 'stability-ai/sdxl') {
      const width = Number(entry.input.width ?? 1024);
      const height = Number(entry.input.height ?? 1024);
      urls.push(files.add(pngImage(width, height, next), 'image/png', 'png', expired));
    } else if (models[entry.model]?.kind === 'speech') {
      urls.push(files.add(wavAudio(1, 330), 'audio/wav', 'wav', expired));
    } else if (entry.model === 'minimax/video-01') {
      urls.push(files.add(await mp4Video(1280, 720, 2, next), 'video/mp4', 'mp4', expired));
    } else if (models[entry.model]?.kind === 'image') {
      const [w = 1, h = 1] = String(entry.input.aspect_ratio ?? '1:1').split(':').map(Number);
      const width = w >= h ? 1024 : Math.round((1024 * w) / h / 16) * 16;
      const height = w >= h ? Math.round((1024 * h) / w / 16) * 16 : 1024;
      const format = String(entry.input.output_format ?? 'webp');
      for (let index = 0; index < Number(entry.input.num_outputs ?? 1); index++) {
        const png = pngImage(width, height, next + index);
        const [data, mime] = format === 'png' ? [png, 'image/png'] : format === 'jpg' ? [await jpegImage(width, height, next + index), 'image/jpeg'] : [await webpImage(width, height, next + index), 'image/webp'];
        urls.push(files.add(data, mime, format, expired));
      }
    } else {
      const ratio = String(entry.input.aspect_ratio ?? '16:9');
      const [width, height] = ratio === '9:16' ? [720, 1280] : ratio === '1:1' ? [720, 720] : [1280, 720];
      urls.push(files.add(await mp4Video(width, height, Number(entry.input.duration ?? 5), next), 'video/mp4', 'mp4', expired));
    }
    if (expired) entry.fault = undefined;
    else entry.output = urls;
    return urls;
  }

  async function view(entry: Prediction): Promise<Record<string, unknown>> {
    const base = {
      id: entry.id,
      model: entry.model,
      version: 'hidden',
      input: entry.input,
      created_at: new Date(entry.createdAt).toISOString(),
      urls: { get: `${address.url}/v1/predictions/${entry.id}`, cancel: `${address.url}/v1/predictions/${entry.id}/cancel` },
    };
    const elapsed = Date.now() - entry.createdAt;
    if (entry.canceled || (entry.cancelAfterMs !== undefined && elapsed > entry.cancelAfterMs && elapsed < predictionMs)) return { ...base, status: 'canceled', output: null, error: null, logs: '' };
    const fraction = elapsed / predictionMs;
    if (fraction < 0.3) return { ...base, status: 'starting', output: null, error: null, logs: '' };
    if (fraction < 1) {
      const percent = Math.round(fraction * 100);
      return { ...base, status: 'processing', output: null, error: null, logs: `Using seed: 42\n${percent}%|█████     | ${Math.round(fraction * 4)}/4 [00:01<00:01,  2.00it/s]` };
    }
    if (entry.fault === 'content_policy') return { ...base, status: 'failed', output: null, error: 'NSFW content detected. Try running it again, or try a different prompt.', logs: '' };
    const urls = await outputs(entry);
    // Image models answer a list of files, the others one file.
    const output = models[entry.model]?.kind === 'image' ? urls : urls[0];
    return { ...base, status: 'succeeded', output, error: null, logs: '100%|██████████| 4/4', metrics: { predict_time: predictionMs / 1000 } };
  }

  async function create(request: RecordedRequest, response: ServerResponse, model: string, input: Record<string, unknown>): Promise<void> {
    const problemText = invalid(model, input);
    if (problemText) return problem(response, 422, 'Input validation failed', problemText);
    const fault = faults.take();
    if (fault === 'rate_limit') return problem(response, 429, 'Request was throttled.', 'Request was throttled. Expected available in 1 second.', { 'retry-after': '1' });
    if (fault === 'server_error') return problem(response, 500, 'Internal Server Error', 'Something went wrong on our end.');
    if (fault === 'malformed') return sendJson(response, 201, { prediction: 'created' });
    const id = `p${String(++next).padStart(10, '0')}`;
    const entry: Prediction = {
      id,
      model,
      input,
      createdAt: Date.now(),
      canceled: false,
      fault: fault === 'content_policy' || fault === 'expired_output' ? fault : undefined,
      hangPolls: fault === 'hang' ? 1 : 0,
      cancelAfterMs: parseDuration(request.headers['cancel-after']),
    };
    predictions.set(id, entry);
    const wait = /^wait(?:=(\d+))?$/.exec(request.headers.prefer ?? '');
    if (wait) await new Promise((resolve) => setTimeout(resolve, Math.min(predictionMs + 20, Number(wait[1] ?? 60) * 1000)));
    return sendJson(response, 201, await view(entry));
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    if (files.serve(request.path, response)) return;
    if (request.headers.authorization !== `Bearer ${replicateGoodToken}`) return problem(response, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
    const path = request.path.split('?')[0] ?? '';
    const byModel = /^\/v1\/models\/([\w.-]+\/[\w.-]+)\/predictions$/.exec(path);
    if (request.method === 'POST' && byModel?.[1]) {
      if (!models[byModel[1]]?.official) return problem(response, 404, 'Not found', 'The requested resource could not be found.');
      const body = jsonBody(request);
      return create(request, response, byModel[1], (body?.input as Record<string, unknown> | undefined) ?? {});
    }
    if (request.method === 'POST' && path === '/v1/predictions') {
      const body = jsonBody(request);
      const model = replicateVersions[String(body?.version)];
      if (!model) return problem(response, 422, 'Invalid version or not permitted', 'The specified version does not exist (or perhaps you don\'t have permission to use it?)');
      return create(request, response, model, (body?.input as Record<string, unknown> | undefined) ?? {});
    }
    const match = /^\/v1\/predictions\/([\w]+)(\/cancel)?$/.exec(path);
    const entry = match?.[1] ? predictions.get(match[1]) : undefined;
    if (match && !entry) return problem(response, 404, 'Not found', 'The requested resource could not be found.');
    if (entry && match?.[2] && request.method === 'POST') {
      const current = await view(entry);
      if (current.status === 'starting' || current.status === 'processing') entry.canceled = true;
      return sendJson(response, 200, await view(entry));
    }
    if (entry && request.method === 'GET') {
      if (entry.hangPolls > 0) {
        entry.hangPolls--;
        return hang(response);
      }
      return sendJson(response, 200, await view(entry));
    }
    problem(response, 404, 'Not found', 'The requested resource could not be found.');
  }

  const started = await startFakeServer(handle);
  address.url = started.url;
  return asFakeProvider(started, faults);
}
