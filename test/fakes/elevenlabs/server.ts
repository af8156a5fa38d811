// A fake of ElevenLabs' text-to-speech API on loopback: `xi-api-key` auth, the documented
// output formats and body validation, `{detail:{status,message}}` errors, 429s and faults.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FaultQueue, asFakeProvider, startFakeServer } from '../fake-http.ts';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { mp3Audio, pcm24k } from '../openai/media.ts';

const models: Record<string, number> = {
  eleven_multilingual_v2: 10_000,
  eleven_v3: 5_000,
  eleven_flash_v2_5: 40_000,
  eleven_turbo_v2_5: 40_000,
};
const outputFormats = ['mp3_22050_32', 'mp3_44100_64', 'mp3_44100_96', 'mp3_44100_128', 'mp3_44100_192', 'pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_44100'];
const voices = new Set(['JBFqnCBsd6RMkjVDRZzb', '21m00Tcm4TlvDq8ikWAM', 'EXAVITQu4vr4xnxzMZGl', 'pFZP5JQG7iQjIQuC4Bku']);

class DetailError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export async function startElevenLabsFake(options: { keys: string[] }): Promise<FakeProvider> {
  const faults = new FaultQueue();
  const hung = new Set<ServerResponse>();

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const url = new URL(request.path, 'http://fake.local');
    const match = /^\/v1\/text-to-speech\/([^/]+)$/.exec(url.pathname);
    if (request.method !== 'POST' || !match?.[1]) throw new DetailError(404, 'not_found', 'Not Found');
    if (!options.keys.includes(request.headers['xi-api-key'] ?? '')) throw new DetailError(401, 'invalid_api_key', 'Invalid API key');
    const fault = faults.take();
    if (fault === 'rate_limit') {
      throw new DetailError(429, 'too_many_concurrent_requests', 'Your subscription allows 5 concurrent requests and you have 6 in progress.');
    }
    if (fault === 'server_error') throw new DetailError(500, 'internal_server_error', 'An internal server error occurred.');
    if (fault === 'hang') {
      hung.add(response);
      return;
    }
    const voice = decodeURIComponent(match[1]);
    if (!voices.has(voice)) throw new DetailError(404, 'voice_not_found', `A voice with the voice_id ${voice} was not found.`);
    const format = url.searchParams.get('output_format') ?? 'mp3_44100_128';
    if (!outputFormats.includes(format)) throw new DetailError(422, 'invalid_output_format', `Invalid output format: ${format}`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new DetailError(400, 'invalid_json', 'The request body is not valid JSON.');
    }
    const text = body.text;
    if (typeof text !== 'string' || text === '') throw new DetailError(422, 'missing_text', 'Field required: text');
    const model = typeof body.model_id === 'string' ? body.model_id : 'eleven_multilingual_v2';
    const limit = models[model];
    if (limit === undefined) throw new DetailError(400, 'model_not_found', `A model with model ID ${model} does not exist.`);
    if (text.length > limit) throw new DetailError(400, 'max_character_limit_exceeded', `Text is ${text.length} characters; ${model} takes at most ${limit}.`);
    const settings = body.voice_settings as { speed?: unknown } | undefined;
    if (settings?.speed !== undefined && (typeof settings.speed !== 'number' || settings.speed < 0.7 || settings.speed > 1.2)) {
      throw new DetailError(400, 'invalid_voice_settings', 'voice_settings.speed must be between 0.7 and 1.2.');
    }
    const headers = { 'request-id': randomBytes(8).toString('hex'), 'x-character-count': String(text.length) };
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'audio/mpeg', ...headers });
      response.end('{"status":"ok"}');
      return;
    }
    const seconds = Math.max(1, Math.min(20, Math.round(text.length / 15)));
    const audio = format.startsWith('pcm_') ? pcm24k(seconds) : await mp3Audio(seconds);
    response.writeHead(200, { 'content-type': format.startsWith('pcm_') ? 'audio/pcm' : 'audio/mpeg', 'content-length': String(audio.length), ...headers });
    response.end(audio);
  }

  const server = await startFakeServer((recorded, response) =>
    handle(recorded, response).catch((error: unknown) => {
      if (response.headersSent) return;
      if (error instanceof DetailError) send(response, error.status, { detail: { status: error.code, message: error.message } }, error.headers);
      else send(response, 500, { detail: { status: 'internal_server_error', message: String(error) } });
    }),
  );
  return {
    ...asFakeProvider(server, faults),
    async close() {
      for (const response of hung) response.destroy();
      await server.close();
    },
  };
}
