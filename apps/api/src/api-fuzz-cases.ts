// Seeded generators of malformed requests for the API fuzz test (api-fuzz.test.ts): broken JSON,
// wrong types, huge strings, bad multipart, bad headers, query strings and path parameters, for
// every route. Reproducible from one seed, so a failing case can be replayed exactly.
import type { InjectOptions } from 'fastify';

/** The fuzz cases' generator: the shared seeded one, so a failing seed replays exactly. */
export { seededRandom as prng } from '@mediagate/core';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class Generator {
  readonly #random: () => number;
  constructor(random: () => number) {
    this.#random = random;
  }

  int(max: number): number {
    return Math.floor(this.#random() * max);
  }

  chance(probability: number): boolean {
    return this.#random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  string(maxLength = 40): string {
    const pool = ['a', 'Z', '7', ' ', '/', ':', '"', '\\', '\n', '\u0000', '\ud800', '\udc00', '😀', '\u202e', 'é', '{', '%', '<', '&', '=', '?', '#'];
    let out = '';
    const length = this.int(maxLength + 1);
    for (let index = 0; index < length; index++) out += this.pick(pool);
    return out;
  }

  /** Up to 1 MiB of one character: past every field's limit, and past small body limits. */
  hugeString(): string {
    return this.pick(['x', 'é', '😀', '\\']).repeat(1 + this.int(1024 * 1024));
  }

  number(): number {
    return this.pick([0, -1, 1.5, 64, 4096, 4097, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE, this.int(100000) - 50000]);
  }

  json(depth = 3): Json {
    const choice = this.int(depth > 0 ? 7 : 5);
    if (choice === 0) return null;
    if (choice === 1) return this.chance(0.5);
    if (choice === 2) return this.number();
    if (choice === 3 || choice === 4) return this.string();
    if (choice === 5) return Array.from({ length: this.int(4) }, () => this.json(depth - 1));
    const object: { [key: string]: Json } = {};
    for (let index = this.int(4); index > 0; index--) object[this.string(8)] = this.json(depth - 1);
    return object;
  }

  bytes(maxLength = 256): Buffer {
    return Buffer.from(Array.from({ length: this.int(maxLength + 1) }, () => this.int(256)));
  }

  /** A short header-safe value (visible ASCII and Latin-1, no CR/LF/NUL: those never pass an HTTP parser). */
  headerValue(maxLength = 40): string {
    const pool = ['a', 'Z', '0', ' ', ',', ';', '=', '"', '*', '-', 'é', '\t', '/', ':'];
    let out = '';
    for (let index = this.int(maxLength + 1); index > 0; index--) out += this.pick(pool);
    return out;
  }
}

/** A route's body as the fuzz mutates it: a JSON object, a multipart form, raw bytes, or nothing. */
export type BodyKind = 'job' | 'json' | 'openai-image' | 'openai-speech' | 'openai-video' | 'image-edit' | 'upload' | 'none';

export interface FuzzRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** With `:id` where a path parameter goes. */
  path: string;
  body: BodyKind;
  /** Valid fields to start from (for 'json' bodies and queries). */
  fields?: Record<string, Json>;
  /** Query parameters the route knows, with good values, so bad ones sit beside real ones. */
  query?: Record<string, string>;
  /** Streams until the job ends: only send what is refused before the stream opens. */
  streams?: boolean;
  /** Never aim it at the ids that exist (it would delete them for the cases after). */
  destructive?: boolean;
  /** Share of the cases, relative to 4 for a route with its own validation (less for fixed answers). */
  weight?: number;
}

export interface FuzzCase {
  label: string;
  route: FuzzRoute;
  request: InjectOptions & { method: FuzzRoute['method']; url: string; headers: Record<string, string> };
  /** What the Authorization header was made to be. */
  auth: 'valid' | 'fuzzed';
}

export interface FuzzContext {
  /** `Bearer <key>` of a real tenant key. */
  authorization: string;
  /** `Bearer <admin key>`, the valid header of the admin routes. */
  adminAuthorization: string;
  /** Ids that exist (a finished job, its asset), so some cases get past the lookup. */
  jobId: string;
  assetId: string;
}

const jobFields = ['kind', 'prompt', 'model', 'preset', 'fallbacks', 'params', 'image_asset_ids', 'image_urls', 'mask_asset_id', 'remix_of', 'priority', 'pool', 'metadata', 'webhook_url'] as const;
const paramNames = ['width', 'height', 'aspect_ratio', 'format', 'seed', 'n', 'duration', 'fps', 'motion', 'voice', 'speed', 'quality', 'negative_prompt', 'instructions', 'provider_input', 'colors', 'simulate', 'theme'];
const models = ['simulated/image', 'simulated/video', 'simulated/speech', 'simulated/image-async', 'nope/none', 'dall-e-3', 'gpt-image-1', 'tts-1', 'sora-2', ''];
export const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json;;;',
  'text/plain',
  'text/html',
  'image/png',
  'image/gif',
  'application/octet-stream',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  'application/problem+json',
  '*/*',
  'json',
  ';',
];

function jobRequest(gen: Generator): Record<string, Json> {
  const kind = gen.pick(['image', 'video', 'speech']);
  return {
    kind,
    prompt: 'fuzz',
    model: kind === 'image' ? 'simulated/image' : kind === 'video' ? 'simulated/video' : 'simulated/speech',
    params: kind === 'image' ? { width: 64, height: 64 } : {},
  };
}

/** A valid-looking object with one to three fields broken: removed, retyped, huge, odd text, unknown. */
function mutate(gen: Generator, base: Record<string, Json>, fields: readonly string[]): Record<string, Json> {
  const request = { ...base };
  for (let count = 1 + gen.int(3); count > 0; count--) {
    const move = gen.int(8);
    const field = gen.pick(fields);
    if (move === 0) delete request[field];
    else if (move === 1) request[field] = gen.json();
    else if (move === 2) request[gen.string(12)] = gen.json();
    else if (move === 3 && 'params' in base) request.params = { ...(request.params as object), [gen.pick(paramNames)]: gen.json(2) };
    else if (move === 4) request[field] = gen.chance(0.5) ? gen.number() : gen.chance(0.5);
    // Well-formed but odd text (NUL, lone surrogates, bidi marks) that may get as far as the database.
    else if (move === 5) request[field] = `fuzz ${gen.string()}`;
    else if (move === 6) request[field] = gen.pick(models);
    else if (gen.chance(0.25)) request[field] = gen.hugeString();
    else request[field] = gen.string(300);
  }
  return request;
}

function deeplyNested(gen: Generator): string {
  const depth = 1 + gen.int(gen.chance(0.1) ? 100_000 : 2_000);
  const [open, close] = gen.chance(0.5) ? ['[', ']'] : ['{"a":', '}'];
  const inner = `${open.repeat(depth)}1${close.repeat(depth)}`;
  return gen.pick([inner, `{"prompt":"x","params":${inner}}`, `{"prompt":"x","metadata":{"k":${inner}}}`, `{"input":${inner}}`]);
}

function brokenJson(gen: Generator, valid: string): string {
  return gen.pick([
    valid.slice(0, gen.int(valid.length)),
    valid.replace(':', ''),
    `${valid}${valid}`,
    `{"__proto__":{"polluted":true},"prompt":"x"}`,
    `{"constructor":{"prototype":{"polluted":true}},"prompt":"x"}`,
    `{"prompt":"x","prompt":"y"}`,
    "{'prompt':'x'}",
    'NaN',
    '{"prompt":"x","n":1e999}',
    `"${gen.string(30)}"`,
    '[]',
    'null',
    '',
    gen.string(60),
  ]);
}

const png1x1 = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5b1d2f50000000049454e44ae426082', 'hex');

/** Multipart bodies that are wrong in the framing or in the content. */
function badMultipart(gen: Generator, fileField: string, textFields: Record<string, string>): { payload: Buffer | string; contentType: string } {
  const boundary = gen.pick(['xyz', '----fuzz', 'a'.repeat(70), 'b c', '"quoted"']);
  const part = (name: string, value: string | Buffer, file?: { filename: string; type: string }) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file.filename}"` : ''}\r\n${file ? `Content-Type: ${file.type}\r\n` : ''}\r\n`,
      ),
      Buffer.isBuffer(value) ? value : Buffer.from(value),
      Buffer.from('\r\n'),
    ]);
  const fields = Object.entries(textFields).map(([name, value]) => part(name, value));
  const fileBytes = gen.pick([png1x1, png1x1.subarray(0, 20), gen.bytes(300), Buffer.from('GIF89a'), Buffer.alloc(0)]);
  const file = part(gen.chance(0.8) ? fileField : gen.pick(['mask', 'other', '', 'file[]']), fileBytes, {
    filename: gen.pick(['a.png', '', '../../etc/passwd', 'x'.repeat(300), 'é.png']),
    type: gen.pick(['image/png', 'text/plain', 'application/octet-stream', '']),
  });
  const close = Buffer.from(`--${boundary}--\r\n`);
  const move = gen.int(9);
  let body: Buffer;
  if (move === 0) body = Buffer.concat([...fields, file]); // never closed
  else if (move === 1) body = Buffer.concat([...fields, file, close]).subarray(0, gen.int(200));
  else if (move === 2) body = Buffer.concat([...fields, close]); // no file at all
  else if (move === 3) body = Buffer.concat([part(gen.string(10), gen.string(20)), file, close]);
  else if (move === 4) body = Buffer.concat([...fields, file, file, file, close]);
  else if (move === 5) body = Buffer.concat([part('prompt', 'x'.repeat(300 * 1024)), file, close]);
  else if (move === 6) body = Buffer.from(`--${boundary}\r\n\r\n\r\n--${boundary}--`);
  else if (move === 7) body = gen.bytes(400);
  else body = Buffer.concat([...fields, file, close]);
  const contentType = gen.pick([
    `multipart/form-data; boundary=${boundary}`,
    `multipart/form-data; boundary=${boundary}`,
    'multipart/form-data',
    'multipart/form-data; boundary=other',
    `multipart/mixed; boundary=${boundary}`,
  ]);
  return { payload: body, contentType };
}

/** Every byte percent-encoded; lone surrogates (which encodeURIComponent refuses) become U+FFFD. */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function badPathId(gen: Generator, context: FuzzContext): string {
  return gen.pick([
    percentEncoded(gen.string(20)) || 'x',
    'job_doesnotexist',
    'ast_doesnotexist',
    'vid_0',
    '%',
    '%zz',
    '%00',
    '..%2F..%2Fetc%2Fpasswd',
    'a'.repeat(101),
    'a'.repeat(1200),
    percentEncoded('😀'.repeat(30)),
    '-1',
    '0',
    'null',
    context.jobId,
    context.assetId,
  ]);
}

function badQuery(gen: Generator, known: Record<string, string> | undefined): string {
  const pairs: string[] = [];
  const names = Object.keys(known ?? {});
  for (let count = gen.int(4); count > 0; count--) {
    const move = gen.int(7);
    const name = names.length > 0 && gen.chance(0.7) ? gen.pick(names) : percentEncoded(gen.string(8)) || 'x';
    if (move === 0) pairs.push(`${name}=${percentEncoded(gen.string(30))}`);
    else if (move === 1) pairs.push(`${name}=${known?.[name] ?? '1'}&${name}=${known?.[name] ?? '2'}`);
    else if (move === 2) pairs.push(`${name}[a]=1`);
    else if (move === 3) pairs.push(`${name}=${gen.pick(['%', '%zz', '%E0%A4%A', '%ED%A0%80', '%00', '-1', '1e999', 'NaN', 'true', ''])}`);
    else if (move === 4) pairs.push(`${name}=${'9'.repeat(gen.chance(0.1) ? 100_000 : 400)}`);
    else if (move === 5) pairs.push(name);
    else pairs.push(`${name}=${known?.[name] ?? 'x'}`);
  }
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

/** Authorization headers that must be refused: missing, other schemes, malformed, unknown keys. */
function badAuthorization(gen: Generator, valid: string): string | undefined {
  const key = valid.replace(/^Bearer /, '');
  return gen.pick([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    `Basic ${Buffer.from(`user:${key}`).toString('base64')}`,
    `Token ${key}`,
    `Bearer ${key}x`,
    `Bearer ${key.slice(0, -1)}`,
    `Bearer ${key} extra`,
    `Bearer mg_${'0'.repeat(40)}`,
    `Bearer sk-${gen.headerValue(30)}`,
    `Bearer ${'a'.repeat(5000)}`,
    `Bearer mg_${'é'.repeat(20)}`,
    `bearer${key}`,
    gen.headerValue(60),
  ]);
}

function extraHeaders(gen: Generator, headers: Record<string, string>): void {
  if (gen.chance(0.08)) headers['content-encoding'] = gen.pick(['gzip', 'br', 'deflate', 'identity', 'x-nope']);
  if (gen.chance(0.08)) headers.accept = gen.pick(['text/html', 'application/xml', '*/*', 'image/png', 'text/event-stream', gen.headerValue()]);
  if (gen.chance(0.04)) headers['content-length'] = String(gen.int(1000));
  if (gen.chance(0.05)) headers['idempotency-key'] = gen.pick(['', 'k', 'x'.repeat(300), gen.headerValue(), 'é']);
  if (gen.chance(0.05)) headers.range = gen.pick(['bytes=0-0', 'bytes=-1', 'bytes=5-1', 'bytes=0-1,2-3', 'bytes=abc', 'items=0-1', `bytes=${'9'.repeat(40)}-`, '']);
  if (gen.chance(0.03)) headers['if-none-match'] = gen.pick(['*', '"x"', 'W/"', gen.headerValue()]);
  if (gen.chance(0.03)) headers['last-event-id'] = gen.pick(['', '-1', 'abc', '1e9', '99999999999999999999', gen.headerValue()]);
  if (gen.chance(0.02)) headers['transfer-encoding'] = gen.pick(['chunked', 'gzip', 'x']);
}

function jsonPayload(gen: Generator, base: Record<string, Json>, fields: readonly string[]): { label: string; payload: string | Buffer } {
  const move = gen.int(10);
  if (move <= 4) return { label: 'mutated body', payload: JSON.stringify(mutate(gen, base, fields)) };
  if (move === 5) return { label: 'random JSON value', payload: JSON.stringify(gen.json(4)) };
  if (move === 6) return { label: 'deep nesting', payload: deeplyNested(gen) };
  if (move === 7 || move === 8) return { label: 'broken JSON', payload: brokenJson(gen, JSON.stringify(base)) };
  return { label: 'random bytes', payload: gen.bytes(gen.chance(0.05) ? 700_000 : 512) };
}

function bodyFor(gen: Generator, route: FuzzRoute, headers: Record<string, string>): { label: string; payload?: string | Buffer } {
  const jsonType = () => (gen.chance(0.85) ? 'application/json' : gen.pick(contentTypes));
  switch (route.body) {
    case 'none': {
      if (gen.chance(0.7)) return { label: 'no body' };
      headers['content-type'] = jsonType();
      return jsonPayload(gen, {}, ['x']);
    }
    case 'job':
    case 'json':
    case 'openai-image':
    case 'openai-speech': {
      const base =
        route.body === 'job'
          ? jobRequest(gen)
          : route.body === 'openai-image'
            ? { prompt: 'fuzz', model: gen.pick(['dall-e-3', 'gpt-image-1', 'simulated/image']), size: '64x64' }
            : route.body === 'openai-speech'
              ? { input: 'fuzz', model: gen.pick(['tts-1', 'simulated/speech']), voice: 'alloy' }
              : { ...(route.fields ?? {}) };
      const fields = route.body === 'job' ? jobFields : Object.keys(base).concat(['n', 'quality', 'response_format', 'style', 'speed', 'stream', 'user']);
      headers['content-type'] = jsonType();
      return jsonPayload(gen, base, fields.length > 0 ? fields : ['x']);
    }
    case 'openai-video':
    case 'image-edit':
    case 'upload': {
      if (route.body === 'upload' && gen.chance(0.3)) {
        headers['content-type'] = gen.pick(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/svg+xml', 'image/']);
        return { label: 'raw image bytes', payload: gen.pick([gen.bytes(2000), png1x1.subarray(0, 30), Buffer.concat([png1x1.subarray(0, 16), gen.bytes(64)]), Buffer.alloc(0)]) };
      }
      if (route.body === 'openai-video' && gen.chance(0.3)) {
        headers['content-type'] = jsonType();
        return jsonPayload(gen, { prompt: 'fuzz', model: 'simulated/video', seconds: '4', size: '64x64' }, ['prompt', 'model', 'seconds', 'size', 'input_reference']);
      }
      const fileField = route.body === 'upload' ? 'file' : route.body === 'image-edit' ? 'image' : 'input_reference';
      const fields =
        route.body === 'upload'
          ? {}
          : mutate(gen, route.body === 'image-edit' ? { prompt: 'fuzz', size: '64x64' } : { prompt: 'fuzz', seconds: '4' }, ['prompt', 'size', 'n', 'seconds', 'model']);
      const text = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
      const { payload, contentType } = badMultipart(gen, fileField, text);
      headers['content-type'] = gen.chance(0.9) ? contentType : gen.pick(contentTypes);
      return { label: 'bad multipart', payload };
    }
    default:
      return route.body satisfies never;
  }
}

/** The order routes take turns in: each as often as its weight (4 unless said otherwise). */
export function schedule(routes: readonly FuzzRoute[]): FuzzRoute[] {
  const turns: FuzzRoute[] = [];
  for (let round = 0; round < 4; round++) {
    for (const route of routes) if (round < (route.weight ?? 4)) turns.push(route);
  }
  return turns;
}

/** One malformed request for `route`: its body, query, path parameter and headers fuzzed. */
export function fuzzCase(gen: Generator, route: FuzzRoute, context: FuzzContext): FuzzCase {
  const headers: Record<string, string> = {};
  const auth = gen.chance(0.15) ? 'fuzzed' : 'valid';
  const admin = route.path.startsWith('/v1/admin') || route.path.startsWith('/admin');
  const valid = admin ? context.adminAuthorization : context.authorization;
  if (auth === 'valid') headers.authorization = valid;
  else {
    const header = badAuthorization(gen, valid);
    if (header !== undefined) headers.authorization = header;
  }
  const labels: string[] = [];
  let path = route.path;
  if (path.includes(':id')) {
    const existing = route.path.includes('assets') ? context.assetId : context.jobId;
    const id = route.destructive === true ? `job_fuzz${gen.int(1e6)}` : gen.chance(0.6) ? badPathId(gen, context) : existing;
    path = path.replace(':id', id);
  }
  let query = gen.chance(route.method === 'GET' ? 0.6 : 0.2) ? badQuery(gen, route.query) : '';
  // A stream with nothing wrong would stay open: make sure something in it is refused first.
  if (route.streams === true) query = `?${percentEncoded(gen.string(6)) || 'x'}=1${query.replace('?', '&')}`;
  if (query !== '') labels.push('query');
  const body = route.method === 'GET' ? { label: gen.chance(0.1) ? 'GET with body' : 'no body' } : bodyFor(gen, route, headers);
  if (route.method === 'GET' && body.label === 'GET with body') {
    headers['content-type'] = 'application/json';
    Object.assign(body, { payload: JSON.stringify(gen.json(2)) });
  }
  labels.push(body.label);
  extraHeaders(gen, headers);
  if (auth === 'fuzzed') labels.push('auth');
  return {
    label: labels.join(', '),
    route,
    auth,
    request: { method: route.method, url: `${path}${query}`, headers, ...('payload' in body && body.payload !== undefined ? { payload: body.payload } : {}) },
  };
}
