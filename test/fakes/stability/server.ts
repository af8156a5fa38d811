// A fake of Stability AI's Stable Image generate endpoints (https://platform.stability.ai/docs/api-reference):
// multipart POST /v2beta/stable-image/generate/{ultra|core|sd3}, Bearer keys, `accept: image/*`
// answered with bytes plus finish-reason/seed headers (or base64 JSON for application/json), the
// documented validation, and {id, name, errors} bodies for 400/401/403 moderation/429/500.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import sharp from 'sharp';
import type { FakeProvider, RecordedRequest } from '../subject.ts';
import { FaultQueue, asFakeProvider, hang, pngImage, sendJson, startFakeServer } from '../fake-http.ts';

export const stabilityGoodKey = 'sk-fakeGoodStabilityKey0000000000000000000000';
export const stabilityBadKey = 'sk-fakeRevokedStabilityKey00000000000000000000';
/** Prompts containing this are refused up front, as the moderation system refuses (403). */
export const moderatedWord = 'forbidden-subject';

/** Roughly one-megapixel outputs per aspect ratio. */
const sizes: Record<string, [number, number]> = {
  '1:1': [1024, 1024], '16:9': [1344, 768], '21:9': [1536, 640], '2:3': [832, 1216], '3:2': [1216, 832],
  '4:5': [896, 1088], '5:4': [1088, 896], '9:16': [768, 1344], '9:21': [640, 1536],
}; // prettier-ignore
const sd3Models = new Set(['sd3.5-large', 'sd3.5-large-turbo', 'sd3.5-medium', 'sd3.5-flash']);

function stabilityError(response: ServerResponse, status: number, name: string, errors: string[], headers: Record<string, string> = {}): void {
  sendJson(response, status, { id: randomUUID().replace(/-/g, ''), name, errors }, headers);
}

async function render(width: number, height: number, format: string, seed: number): Promise<Buffer> {
  const png = pngImage(width, height, seed);
  if (format === 'jpeg') return sharp(png).jpeg({ quality: 80 }).toBuffer();
  if (format === 'webp') return sharp(png).webp().toBuffer();
  return png;
}

export async function startStabilityFake(): Promise<FakeProvider> {
  const faults = new FaultQueue();

  async function generate(endpoint: string, request: RecordedRequest, response: ServerResponse): Promise<void> {
    const type = request.headers['content-type'] ?? '';
    if (!type.startsWith('multipart/form-data')) return stabilityError(response, 400, 'bad_request', ['content-type: must be multipart/form-data']);
    const accept = request.headers.accept ?? 'image/*';
    if (accept !== 'image/*' && accept !== 'application/json') return stabilityError(response, 400, 'bad_request', ['accept: must be image/* or application/json']);
    const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': type }, body: new Uint8Array(request.body) }).formData();
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value : undefined;
    };
    const errors: string[] = [];
    const prompt = field('prompt') ?? '';
    if (prompt.length < 1 || prompt.length > 10000) errors.push('prompt: must be between 1 and 10000 characters');
    const format = field('output_format') ?? 'png';
    const formats = endpoint === 'sd3' ? ['jpeg', 'png'] : ['jpeg', 'png', 'webp'];
    if (!formats.includes(format)) errors.push(`output_format: must be one of ${formats.join(', ')}`);
    const seed = Number(field('seed') ?? 0);
    if (!Number.isInteger(seed) || seed < 0 || seed > 4294967294) errors.push('seed: must be an integer between 0 and 4294967294');
    const image = form.get('image');
    const hasImage = image !== null && typeof image !== 'string';
    const mode = field('mode') ?? 'text-to-image';
    if (endpoint === 'sd3') {
      if (!sd3Models.has(field('model') ?? 'sd3.5-large')) errors.push('model: must be one of sd3.5-large, sd3.5-large-turbo, sd3.5-medium, sd3.5-flash');
      if (mode !== 'text-to-image' && mode !== 'image-to-image') errors.push('mode: must be text-to-image or image-to-image');
      if (mode === 'image-to-image' && !hasImage) errors.push('image: required in image-to-image mode');
      if (mode === 'text-to-image' && hasImage) errors.push('image: not allowed in text-to-image mode');
    }
    if (endpoint === 'core' && hasImage) errors.push('image: unknown field');
    if (hasImage) {
      const strength = Number(field('strength'));
      if (field('strength') === undefined || !(strength >= 0 && strength <= 1)) errors.push('strength: required with image, between 0 and 1');
      if (field('aspect_ratio') !== undefined) errors.push('aspect_ratio: not allowed with image');
    }
    const ratio = field('aspect_ratio') ?? '1:1';
    if (!sizes[ratio]) errors.push(`aspect_ratio: must be one of ${Object.keys(sizes).join(', ')}`);
    if (endpoint === 'sd3' && field('negative_prompt') !== undefined && /turbo|flash/.test(field('model') ?? '')) {
      errors.push('negative_prompt: not supported by this model');
    }
    if (errors.length > 0) return stabilityError(response, 400, 'bad_request', errors);
    if (prompt.includes(moderatedWord)) {
      return stabilityError(response, 403, 'content_moderation', ['Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.']);
    }
    const fault = faults.take();
    if (fault === 'rate_limit') {
      return stabilityError(response, 429, 'rate_limit_exceeded', ['You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds.'], { 'retry-after': '1' });
    }
    if (fault === 'server_error') return stabilityError(response, 500, 'internal_error', ['An unexpected server error has occurred, please try again later.']);
    if (fault === 'hang') return hang(response);
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'text/html', 'finish-reason': 'SUCCESS' });
      response.end('<html><body>Service temporarily unavailable</body></html>');
      return;
    }
    let [width, height] = sizes[ratio] as [number, number];
    if (hasImage) ({ width = width, height = height } = await sharp(Buffer.from(await image.arrayBuffer())).metadata());
    const bytes = await render(width, height, format, seed);
    const finishReason = fault === 'content_policy' ? 'CONTENT_FILTERED' : 'SUCCESS';
    const usedSeed = String(seed === 0 ? 1234567 : seed);
    if (accept === 'application/json') return sendJson(response, 200, { image: bytes.toString('base64'), finish_reason: finishReason, seed: Number(usedSeed) });
    response.writeHead(200, { 'content-type': `image/${format}`, 'content-length': bytes.length, 'finish-reason': finishReason, seed: usedSeed });
    response.end(bytes);
  }

  async function handle(request: RecordedRequest, response: ServerResponse): Promise<void> {
    const authorization = request.headers.authorization;
    if (authorization === undefined) return stabilityError(response, 401, 'unauthorized', ['authorization: missing header']);
    if (authorization !== `Bearer ${stabilityGoodKey}`) return stabilityError(response, 401, 'unauthorized', ['authorization: invalid API key']);
    const match = /^\/v2beta\/stable-image\/generate\/(ultra|core|sd3)$/.exec(request.path.split('?')[0] ?? '');
    if (!match?.[1] || request.method !== 'POST') return stabilityError(response, 404, 'not_found', [`${request.method} ${request.path}: not found`]);
    return generate(match[1], request, response);
  }

  const server = await startFakeServer(handle);
  return asFakeProvider(server, faults);
}
