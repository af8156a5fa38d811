// A real HTTP server playing a paid generative-media provider, for tests and benchmarks: keys with
// limits, latency, progress, injected faults, and counters that outlive a killed worker process.
//
// HTTP API (errors are JSON `{ "error": { "code", "message" } }`; auth is `Authorization: Bearer <key>`;
// when `keys` is configured a missing or unknown key is a 401, otherwise any key or none is accepted):
//   POST /v1/generate            `{ model, kind?, prompt, params? }` (params as GenerationParams).
//        Sync models (image, speech) answer 200 with the media bytes (image/png | audio/wav) after
//        `params.simulate.latency_ms` (± the `latencyJitter` option, seeded by prompt and seed).
//        Async models (image-async, video) answer 202 `{ id, status: "queued" }` at once; the
//        operation takes the latency. Media: PNG of width×height (default 512×512, color from the
//        seed, prompt and seed in an iTXt "Description" chunk, so different requests never get the
//        same bytes), WAV sine of `duration` (default from prompt length), H.264 MP4 (default
//        640×360, 5 s).
//        Unknown model → 404; bad body → 400. Only this route counts against a key's limits: rpm
//        (sliding window of `minuteMs`), concurrency (sync requests in flight + unfinished operations)
//        and daily (1440 × minuteMs). Over a limit → 429 with `Retry-After` (whole seconds, rounded
//        up), `retry-after-ms` and `x-ratelimit-remaining-requests`.
//   GET  /v1/operations/:id      `{ id, status: queued|running|succeeded|failed|canceled, progress, output_url?, error? }`.
//        Queued for the first 10% of the latency, then running; progress rises in `progress_steps`
//        steps (default 10) and is 100 on success.
//   POST /v1/operations/:id/cancel  cancels unfinished work; answers the operation as above.
//   GET  /v1/outputs/:id         the media of a succeeded operation (image/png | video/mp4).
//   GET  /v1/stats               the same counters as stats().   GET /v1/health → `{ status: "ok" }`.
// Faults, from `params.simulate.fault`, answered on the submit after the key and limits pass:
//   500 | timeout (never answers) | malformed (sync: garbage bytes labeled as media; async: broken
//   JSON) | truncated (Content-Length larger than the bytes sent) | content_policy (400
//   content_policy_violation) | auth (401) | rate_limit (429 with Retry-After of a scaled second).
//   Async models only: fail_async (the operation ends failed, code generation_failed) and
//   content_policy_async (ends failed, code content_policy_violation); on sync models they act as 500.
//   With `fault_times: N` only the first N submits with that prompt fail, later ones succeed.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyState, type KeyLimits, type KeyStats } from './limits.ts';
import { hashString, mp4Video, pngImage, wavAudio } from './media.ts';
import { findSimulatedModel, mediaShape, mimeFor, type MediaShape } from './models.ts';
import { Operations, type OperationCounts } from './operations.ts';
import { isFaultName, retryHeaders, sendBytes, sendError, sendJson, sendSubmitFault } from './responses.ts';
import { parseSubmit, readBody, type Submit } from './submit-body.ts';

const noKey = '(none)';

export interface SimulatedServerOptions {
  host?: '127.0.0.1';
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Known keys (the bearer secrets) and their limits; absent: any key or none is accepted. */
  keys?: Record<string, KeyLimits>;
  /** Length of a "minute" for rpm windows, in ms; shorten it to test limits quickly. */
  minuteMs?: number;
  /** Spread latencies by up to ± this fraction (0–1), seeded by prompt and seed so runs repeat. */
  latencyJitter?: number;
}

export interface SimulatedStats {
  /** Every POST /v1/generate received. */
  submits: number;
  /** Submits admitted past auth and limits. */
  accepted: number;
  /** Outputs delivered: sync answers with media plus operations that succeeded. */
  completed: number;
  rateLimited: number;
  unauthorized: number;
  /** Faults injected. */
  faults: number;
  polls: number;
  cancels: number;
  downloads: number;
  operations: OperationCounts;
  /** By bearer secret ("(none)" for requests without one). */
  byKey: Record<string, KeyStats>;
  /** Submits per prompt. */
  byPrompt: Record<string, number>;
}

export interface SimulatedServer {
  url: string;
  stats(): SimulatedStats;
  reset(): void;
  /** Revokes a configured key, as a provider's dashboard does: from now on it answers 401 (until reset). */
  revoke(secret: string): void;
  close(): Promise<void>;
}

async function render(shape: MediaShape): Promise<Uint8Array> {
  if (shape.kind === 'image') return pngImage(shape.width, shape.height, shape.color, shape.description);
  if (shape.kind === 'speech') return wavAudio(shape.seconds, shape.frequency);
  return mp4Video(shape.width, shape.height, shape.seconds, shape.color);
}

function renderSync(shape: MediaShape): Uint8Array {
  if (shape.kind === 'image') return pngImage(shape.width, shape.height, shape.color, shape.description);
  if (shape.kind === 'speech') return wavAudio(shape.seconds, shape.frequency);
  throw new Error('video is only rendered asynchronously');
}

export async function startSimulatedServer(options: SimulatedServerOptions = {}): Promise<SimulatedServer> {
  const minuteMs = options.minuteMs ?? 60_000;
  const configured = options.keys;
  let epoch = Date.now();
  let keys = new Map<string, KeyState>();
  const operations = new Operations();
  let faultCounts = new Map<string, number>();
  let byPrompt = new Map<string, number>();
  let counters = { submits: 0, accepted: 0, completed: 0, rateLimited: 0, unauthorized: 0, faults: 0, polls: 0, cancels: 0, downloads: 0 };
  let url = '';
  let revoked = new Set<string>();

  function reset(): void {
    epoch = Date.now();
    revoked = new Set();
    keys = new Map(Object.entries(configured ?? {}).map(([secret, limits]) => [secret, new KeyState(limits, minuteMs, epoch)]));
    operations.clear();
    faultCounts = new Map();
    byPrompt = new Map();
    counters = { submits: 0, accepted: 0, completed: 0, rateLimited: 0, unauthorized: 0, faults: 0, polls: 0, cancels: 0, downloads: 0 };
  }

  function stats(): SimulatedStats {
    return {
      ...counters,
      completed: counters.completed + operations.counts.succeeded,
      operations: { ...operations.counts },
      byKey: Object.fromEntries([...keys].map(([secret, state]) => [secret, state.snapshot()])),
      byPrompt: Object.fromEntries(byPrompt),
    };
  }

  /** The caller's key state, or undefined (after answering 401) when keys are configured and it is unknown. */
  function authenticate(request: IncomingMessage, response: ServerResponse): KeyState | undefined {
    const header = request.headers.authorization;
    const secret = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    const found = revoked.has(secret ?? noKey) ? undefined : keys.get(secret ?? noKey);
    if (found) return found;
    if (!configured) {
      const state = new KeyState({}, minuteMs, epoch);
      keys.set(secret ?? noKey, state);
      return state;
    }
    counters.unauthorized++;
    sendError(response, 401, 'invalid_api_key', secret ? (revoked.has(secret) ? 'This API key has been revoked' : 'Incorrect API key provided') : 'No API key provided');
    return undefined;
  }

  function jittered(latencyMs: number, submit: Submit): number {
    const spread = Math.min(1, Math.max(0, options.latencyJitter ?? 0));
    if (spread === 0 || latencyMs === 0) return latencyMs;
    const unit = hashString(`${submit.prompt}\u0000${submit.params.seed ?? ''}`) / 0xffffffff;
    return Math.max(0, Math.round(latencyMs * (1 + spread * (unit * 2 - 1))));
  }

  /** True when this submit should fail with its fault (fault_times counts per prompt). */
  function injects(submit: Submit): boolean {
    const simulate = submit.params.simulate;
    if (simulate?.fault === undefined) return false;
    if (simulate.fault_times === undefined) return true;
    const seen = faultCounts.get(submit.prompt) ?? 0;
    if (seen >= simulate.fault_times) return false;
    faultCounts.set(submit.prompt, seen + 1);
    return true;
  }

  async function generate(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const key = authenticate(request, response);
    const submit = parseSubmit(await readBody(request));
    counters.submits++;
    if (typeof submit !== 'string') byPrompt.set(submit.prompt, (byPrompt.get(submit.prompt) ?? 0) + 1);
    if (!key) return;
    const now = Date.now();
    key.countSubmit(now);
    if (typeof submit === 'string') return sendError(response, 400, 'invalid_request', submit);
    const spec = findSimulatedModel(submit.model);
    if (!spec) return sendError(response, 404, 'model_not_found', `The model ${JSON.stringify(submit.model)} does not exist`);
    const kind = submit.kind ?? spec.capabilities.kind;
    if (kind !== spec.capabilities.kind) return sendError(response, 400, 'invalid_request', `${submit.model} makes ${spec.capabilities.kind}, not ${kind}`);
    const fault = submit.params.simulate?.fault;
    if (fault !== undefined && !isFaultName(fault)) return sendError(response, 400, 'invalid_request', `unknown simulate.fault ${JSON.stringify(fault)}`);

    operations.settleAll(now);
    const admission = key.admit(now);
    if (!admission.ok) {
      counters.rateLimited++;
      key.stats.rateLimited++;
      const message = { rpm: 'requests per minute', concurrency: 'concurrent requests', daily: 'requests per day' }[admission.reason];
      return sendError(response, 429, 'rate_limit_exceeded', `Rate limit reached for ${message}`, retryHeaders(admission.retryAfterMs, admission.remaining));
    }
    counters.accepted++;
    let holdsSlot = true;
    const release = () => {
      if (holdsSlot) key.release();
      holdsSlot = false;
    };
    response.on('close', release);
    const rateHeaders: Record<string, string> =
      admission.remaining === undefined ? {} : { 'x-ratelimit-remaining-requests': String(admission.remaining) };

    const simulate = submit.params.simulate ?? {};
    const latencyMs = jittered(simulate.latency_ms ?? 0, submit);
    const shape = mediaShape(kind, spec, submit.prompt, submit.params, submit.params.seed ?? hashString(submit.prompt));
    const async = spec.capabilities.async;
    const activeFault = fault !== undefined && injects(submit) ? fault : undefined;
    if (activeFault !== undefined) counters.faults++;
    if (activeFault === 'timeout') return; // holds the slot until the client gives up
    if (!async && latencyMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (response.destroyed) return;
    }
    if (activeFault === 'rate_limit') {
      counters.rateLimited++;
      key.stats.rateLimited++;
    }
    const asyncOnly = activeFault === 'fail_async' || activeFault === 'content_policy_async';
    if (activeFault !== undefined && (!asyncOnly || !async)) {
      const submitFault = asyncOnly ? '500' : activeFault;
      const rateLimitMs = Math.max(1, Math.round(minuteMs / 60));
      return sendSubmitFault(response, submitFault, { async, mime: mimeFor[shape.kind], media: () => renderSync(shape), rateLimitMs });
    }
    if (!async) {
      counters.completed++;
      return sendBytes(response, renderSync(shape), mimeFor[shape.kind], rateHeaders);
    }
    holdsSlot = false; // the operation holds the slot now, until it ends
    const failure =
      activeFault === 'fail_async'
        ? { code: 'generation_failed', message: 'The simulated generation failed' }
        : activeFault === 'content_policy_async'
          ? { code: 'content_policy_violation', message: 'The output was blocked by the simulated safety system' }
          : undefined;
    const operation = operations.create({
      key,
      createdAt: now,
      latencyMs,
      progressSteps: simulate.progress_steps ?? 10,
      shape,
      ...(failure ? { failure } : {}),
    });
    sendJson(response, 202, { id: operation.id, status: 'queued' }, rateHeaders);
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    if (method === 'POST' && path === '/v1/generate') return generate(request, response);
    if (method === 'GET' && path === '/v1/stats') return sendJson(response, 200, stats());
    if (method === 'GET' && path === '/v1/health') return sendJson(response, 200, { status: 'ok' });
    const match = /^\/v1\/(operations|outputs)\/([\w-]+)(\/cancel)?$/.exec(path);
    if (!match) return sendError(response, 404, 'not_found', `No route ${method} ${path}`);
    request.resume();
    if (!authenticate(request, response)) return;
    const [, collection, id = '', cancel] = match;
    const operation = operations.get(id);
    const now = Date.now();
    if (collection === 'operations' && method === 'GET' && !cancel) counters.polls++;
    else if (collection === 'operations' && method === 'POST' && cancel) counters.cancels++;
    else if (collection === 'outputs' && method === 'GET' && !cancel) counters.downloads++;
    else return sendError(response, 405, 'method_not_allowed', `${method} ${path} is not supported`);
    if (!operation) return sendError(response, 404, 'not_found', `No operation ${JSON.stringify(id)}`);
    if (cancel) operations.cancel(operation, now);
    if (collection === 'operations') return sendJson(response, 200, operations.view(operation, now, url));
    if (operations.status(operation, now) !== 'succeeded') return sendError(response, 404, 'not_found', `Operation ${id} has no output`);
    sendBytes(response, await render(operation.shape), mimeFor[operation.shape.kind]);
  }

  reset();
  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, 'internal_error', error instanceof Error ? error.message : String(error));
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stats,
    reset,
    revoke: (secret) => {
      revoked.add(secret);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
