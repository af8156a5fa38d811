// A fake of Runway's API (https://docs.dev.runwayml.com/api/): task creation on /v1/text_to_image,
// /v1/image_to_video and /v1/text_to_video, GET /v1/tasks/{id} moving PENDING → THROTTLED → RUNNING
// (progress 0–1) → SUCCEEDED over `taskMs`, DELETE /v1/tasks/{id}, Bearer keys, the X-Runway-Version
// header, request validation with 400s, and output URLs that can be made to expire. Faults: 429 with
// Retry-After and 500 on create, a body without `id`, a FAILED task with SAFETY.INPUT.TEXT, a first
// status poll left unanswered, an already-expired first output URL.
import type { ServerResponse } from 'node:http';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, OutputFiles, asFakeProvider, hang, jsonBody, mp4Video, pngImage, sendJson, startFakeServer } from '../fake-http.ts';
import { runwayModels, runwaySizes } from '../../../packages/providers/src/runway/runway-models.ts';

export const runwayGoodKey = 'key_good_runway';
export const runwayBadKey = 'key_revoked_runway';

export interface RunwayFakeOptions {
  /** How long a task takes from creation to SUCCEEDED. */
  taskMs?: number;
}

interface Task {
  id: string;
  createdAt: number;
  model: string;
  ratio: string;
  duration: number;
  kind: 'image' | 'video';
  fault: 'content_policy' | 'expired_output' | undefined;
  /** Status polls still to leave unanswered (the `hang` fault on async work). */
  hangPolls: number;
  cancelled: boolean;
  output?: string[];
}

const endpoints: Record<string, string[]> = {
  text_to_image: ['gen4_image'],
  image_to_video: ['gen4_turbo'],
  text_to_video: ['gen4.5', 'veo3'],
};

export async function startRunwayFake(options: RunwayFakeOptions = {}): Promise<FakeProvider> {
  const taskMs = options.taskMs ?? 600;
  const faults = new FaultQueue();
  const tasks = new Map<string, Task>();
  const address = { url: '' };
  const files = new OutputFiles(() => address.url);
  let nextId = 0;

  function invalid(response: ServerResponse, message: string): void {
    sendJson(response, 400, { error: message });
  }

  function validate(endpoint: string, body: Record<string, unknown>): string | undefined {
    const model = typeof body.model === 'string' ? body.model : '';
    if (!endpoints[endpoint]?.includes(model)) return `Invalid model "${model}" for /v1/${endpoint}`;
    const spec = Object.values(runwayModels).find((entry) => entry.spec.id === model);
    if (!spec) return `Unknown model ${model}`;
    if (typeof body.promptText !== 'string' || body.promptText.length === 0 || body.promptText.length > 1000) return 'promptText must be 1–1000 characters';
    if (typeof body.ratio !== 'string' || !runwaySizes(spec).includes(body.ratio)) return `Invalid ratio "${String(body.ratio)}" for ${model}`;
    const durations = spec.spec.capabilities.video?.durations;
    if (durations && body.duration !== undefined && !durations.includes(Number(body.duration))) return `Invalid duration ${String(body.duration)} for ${model}`;
    if (endpoint === 'image_to_video' && (typeof body.promptImage !== 'string' || !/^data:image\/(png|jpeg|webp);base64,/.test(body.promptImage))) {
      return 'promptImage must be an HTTPS URL or an image data URI';
    }
    if (body.seed !== undefined && (!Number.isInteger(body.seed) || Number(body.seed) < 0 || Number(body.seed) > 4294967295)) return 'seed must be an integer 0–4294967295';
    const known = new Set(['model', 'promptText', 'ratio', 'duration', 'seed', 'promptImage', 'contentModeration', 'referenceImages']);
    const extra = Object.keys(body).find((name) => !known.has(name));
    return extra ? `Unrecognized key "${extra}"` : undefined;
  }

  /** The task's output URLs; an `expired_output` task hands out one already-expired URL first. */
  async function finish(task: Task): Promise<string[]> {
    const expired = task.fault === 'expired_output';
    if (task.output && !expired) return task.output;
    const [width = 1280, height = 720] = task.ratio.split(':').map(Number);
    const url =
      task.kind === 'image'
        ? files.add(pngImage(width, height, nextId), 'image/png', 'png', expired)
        : files.add(await mp4Video(width, height, task.duration, nextId), 'video/mp4', 'mp4', expired);
    if (expired) {
      task.fault = undefined;
      return [url];
    }
    task.output = [url];
    return task.output;
  }

  async function view(task: Task): Promise<Record<string, unknown>> {
    const base = { id: task.id, createdAt: new Date(task.createdAt).toISOString() };
    if (task.cancelled) return { ...base, status: 'CANCELLED' };
    const elapsed = (Date.now() - task.createdAt) / taskMs;
    if (elapsed < 0.2) return { ...base, status: 'PENDING' };
    if (elapsed < 0.35) return { ...base, status: 'THROTTLED' };
    if (elapsed < 1) return { ...base, status: 'RUNNING', progress: Math.round(elapsed * 100) / 100 };
    if (task.fault === 'content_policy') {
      return { ...base, status: 'FAILED', failure: 'The input text was flagged by our content moderation system.', failureCode: 'SAFETY.INPUT.TEXT' };
    }
    return { ...base, status: 'SUCCEEDED', output: await finish(task) };
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    if (files.serve(request.path, response)) return;
    if (request.headers.authorization !== `Bearer ${runwayGoodKey}`) {
      sendJson(response, 401, { error: 'Invalid API key provided' });
      return;
    }
    if (request.headers['x-runway-version'] !== '2024-11-06') {
      invalid(response, 'A valid X-Runway-Version header is required');
      return;
    }
    const path = request.path.split('?')[0] ?? '';
    const create = /^\/v1\/(text_to_image|image_to_video|text_to_video)$/.exec(path);
    if (create?.[1] && request.method === 'POST') {
      const body = jsonBody(request);
      const problem = body ? validate(create[1], body) : 'Body must be a JSON object';
      if (problem || !body) return invalid(response, problem ?? 'invalid body');
      const fault = faults.take();
      if (fault === 'rate_limit') return sendJson(response, 429, { error: 'You have exceeded the rate limit for this organization.' }, { 'retry-after': '1' });
      if (fault === 'server_error') return sendJson(response, 500, { error: 'An unexpected error occurred.' });
      if (fault === 'malformed') return sendJson(response, 200, { task: 'created' });
      const id = `task-${++nextId}`;
      const model = String(body.model);
      tasks.set(id, {
        id,
        createdAt: Date.now(),
        model,
        ratio: String(body.ratio),
        duration: Number(body.duration ?? 5),
        kind: create[1] === 'text_to_image' ? 'image' : 'video',
        fault: fault === 'content_policy' || fault === 'expired_output' ? fault : undefined,
        hangPolls: fault === 'hang' ? 1 : 0,
        cancelled: false,
      });
      sendJson(response, 200, { id });
      return;
    }
    const taskPath = /^\/v1\/tasks\/([\w-]+)$/.exec(path);
    const task = taskPath?.[1] ? tasks.get(taskPath[1]) : undefined;
    if (taskPath && !task) return sendJson(response, 404, { error: 'Task not found' });
    if (task && request.method === 'GET') {
      if (task.hangPolls > 0) {
        task.hangPolls--;
        return hang(response);
      }
      return sendJson(response, 200, await view(task));
    }
    if (task && request.method === 'DELETE') {
      const status = (await view(task)).status;
      // Unfinished tasks are cancelled; finished ones are deleted.
      if (status === 'SUCCEEDED' || status === 'FAILED') tasks.delete(task.id);
      else task.cancelled = true;
      response.writeHead(204).end();
      return;
    }
    sendJson(response, 404, { error: 'Not found' });
  }

  const started = await startFakeServer(handle);
  address.url = started.url;
  return asFakeProvider(started, faults);
}
