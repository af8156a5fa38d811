// The floor under bench/openai-overhead.ts: the least any gateway must do to give the OpenAI
// image route's promise, written with the libraries Mediagate uses and nothing of Mediagate. Per
// request: one job row inserted before the provider is called (committed without waiting for its
// flush, as Mediagate does for a job whose caller waits), the provider called over a keep-alive
// pool, its bytes hashed, written to a new file and renamed into a content-addressed directory,
// the row completed with a synchronous commit while the file is flushed, then the answer. No
// auth, validation, routing, events, retries, key pools, budgets or metrics: what Mediagate adds
// above this floor is the cost of those.
//
//   node --import tsx bench/floor-server.ts <port> <database url> <provider url> <directory>
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { promisify } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';

const [port, databaseUrl, providerUrl, directory] = process.argv.slice(2);
if (!port || !databaseUrl || !providerUrl || !directory) throw new Error('usage: floor-server.ts <port> <database url> <provider url> <directory>');

const open = promisify(fs.open);
const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const close = promisify(fs.close);
const rename = promisify(fs.rename);

const db = new pg.Pool({ connectionString: databaseUrl, max: 64 });
await db.query(`CREATE TABLE IF NOT EXISTS floor_jobs (
  id text PRIMARY KEY, prompt text NOT NULL, params jsonb NOT NULL, status text NOT NULL,
  sha256 text, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz)`);
fs.mkdirSync(`${directory}/tmp`, { recursive: true });
fs.mkdirSync(`${directory}/objects`, { recursive: true });
const provider = new Pool(providerUrl, { connections: 128, keepAliveTimeout: 30_000 });

async function generate(body: { prompt: string; size: string }): Promise<Buffer> {
  const [width, height] = body.size.split('x').map(Number);
  const params = { width, height };
  const id = randomUUID();
  await db.query({
    name: 'insert-job',
    text: `INSERT INTO floor_jobs (id, prompt, params, status)
      SELECT $1, $2, $3, 'running' FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`,
    values: [id, body.prompt, JSON.stringify(params)],
  });
  const response = await provider.request({
    path: '/v1/generate',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'image', prompt: body.prompt, params }),
  });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200) throw new Error(`provider answered ${response.statusCode}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const temporary = `${directory}/tmp/${randomUUID()}`;
  const fd = await open(temporary, 'wx');
  await write(fd, bytes, 0, bytes.length);
  const flushed = fdatasync(fd).finally(() => close(fd));
  await rename(temporary, `${directory}/objects/${sha256}`);
  await Promise.all([
    db.query({ name: 'complete-job', text: `UPDATE floor_jobs SET status = 'succeeded', sha256 = $2, updated_at = now() WHERE id = $1`, values: [id, sha256] }),
    flushed,
  ]);
  return bytes;
}

http
  .createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      generate(JSON.parse(Buffer.concat(chunks).toString()) as { prompt: string; size: string }).then(
        (bytes) => {
          const answer = JSON.stringify({ created: Math.floor(Date.now() / 1000), data: [{ b64_json: bytes.toString('base64') }] });
          response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: String(error) } }));
        },
      );
    });
  })
  .listen(Number(port), '127.0.0.1', () => process.stderr.write('floor server ready\n'));
