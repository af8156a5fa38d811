// `mediagate generate` end to end against one provider's fake, the same way for every provider:
// the real CLI in a child process with the provider's base URL and key from the environment (and
// the fake's port allowed through the URL guard when outputs are downloaded), the summary it
// prints, the verified file on disk, the requests the fake received, and no secret in the output.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCliHome, type CliHome } from '../support/cli.ts';
import type { FakeProvider, RecordedRequest } from './subject.ts';

export interface CliWithFake<F extends FakeProvider> {
  readonly cli: CliHome;
  readonly fake: F;
}

/** A CLI home and a started fake for the file's tests, both closed after them. */
export function cliWithFake<F extends FakeProvider>(start: () => Promise<F>): CliWithFake<F> {
  let cli: CliHome | undefined;
  let fake: F | undefined;
  beforeAll(async () => {
    [cli, fake] = await Promise.all([createCliHome(), start()]);
  });
  afterAll(async () => {
    await fake?.close();
    await cli?.cleanup();
  });
  return {
    get cli() {
      if (!cli) throw new Error('the CLI home is not set up yet');
      return cli;
    },
    get fake() {
      if (!fake) throw new Error('the fake is not started yet');
      return fake;
    },
  };
}

export interface GenerateCase {
  title: string;
  /** The provider id, e.g. "bfl": names MEDIAGATE_BASE_URL_BFL and MEDIAGATE_KEYS_BFL. */
  provider: string;
  /** The MEDIAGATE_BASE_URL_<ID> value for the fake's URL (default: the URL itself). */
  baseUrl?: (url: string) => string;
  /** The MEDIAGATE_KEYS_<ID> value, e.g. `main=<secret>`. */
  keys: string;
  /** The secret that must not appear in anything the CLI prints. */
  secret: string;
  /** Whether outputs are downloaded from the fake, so its port is allowed through the URL guard. */
  downloads?: boolean;
  /** The arguments after `generate`, without `-o` and `--json`. */
  args: string[];
  /** The output file name in the CLI's working directory. */
  file: string;
  /** Kill the CLI after this long (default: the CLI helper's). */
  runTimeoutMs?: number;
  /** What the printed JSON summary must hold. */
  summary: Record<string, unknown>;
  /** Checks the stored file. */
  media(file: string): Promise<void>;
  /** Checks the requests the fake received. */
  requests(requests: RecordedRequest[]): void;
}

/** One test: `mediagate generate … -o <file> --json` succeeds and every check of the case holds. */
export function itGenerates<F extends FakeProvider>(context: CliWithFake<F>, spec: GenerateCase): void {
  it(spec.title, async () => {
    const { cli, fake } = context;
    const id = spec.provider.toUpperCase();
    const env: Record<string, string> = {
      [`MEDIAGATE_BASE_URL_${id}`]: spec.baseUrl ? spec.baseUrl(fake.url) : fake.url,
      [`MEDIAGATE_KEYS_${id}`]: spec.keys,
    };
    if (spec.downloads ?? true) env.MEDIAGATE_FETCH_ALLOW = `127.0.0.1:${new URL(fake.url).port}`;
    const args = ['generate', ...spec.args, '-o', spec.file, '--json'];
    const result = await cli.run(args, spec.runTimeoutMs === undefined ? { env } : { env, timeoutMs: spec.runTimeoutMs });
    expect(result.code, `${result.stderr}${result.stdout}`).toBe(0);
    const summary = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
    expect(summary).toMatchObject(spec.summary);
    await spec.media(path.join(cli.workDir, spec.file));
    spec.requests(fake.requests);
    expect(result.stdout + result.stderr).not.toContain(spec.secret);
  }, 120_000);
}

/** The stored image is of this format and size, as sharp reads it. */
export async function expectImage(file: string, format: string, width: number, height: number): Promise<void> {
  const meta = await sharp(await readFile(file)).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual([format, width, height]);
}

/** The POST requests, in order. */
export function posts(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.method === 'POST');
}
