// `mediagate usage`, `mediagate presets list` and generate's --pool and --webhook-url, run as a
// user would: bad values are one line naming the flag (exit 2, nothing run); the same JSON from
// this machine's database and from a running server; a --webhook-url job's end reaches a receiver
// signed with the tenant's secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { Mediagate } from '@mediagate/sdk';
import { createCliHome, freePort, type CliHome, type CliResult } from './support/cli.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

let cli: CliHome;
let receiver: WebhookReceiver;
const slow = 240_000;

beforeAll(async () => {
  cli = await createCliHome();
  receiver = await startWebhookReceiver();
  // Found as ./mediagate.config.yaml, the default, by every command run in the work directory.
  await writeFile(
    path.join(cli.workDir, 'mediagate.config.yaml'),
    [
      'presets:',
      '  tiny: { kind: image, model: local/card, params: { width: 64, height: 64 }, description: Small card }',
      'providers:',
      '  simulated:',
      '    pools:',
      '      default: { keys: [{ id: plain, secret: sk-plain }] }',
      '      styled: { keys: [{ id: styled-key, secret: sk-styled }] }',
      'budgets:',
      '  default: { monthly_usd: 5 }',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await receiver?.close();
  await cli?.cleanup();
});

function oneLine(result: CliResult): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] ?? '';
}

function expectExit(result: CliResult, code: number): void {
  expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(code);
}

describe('bad values', () => {
  it('names the flag and what it allows, exits 2 and runs nothing', async () => {
    const cases: [string[], string][] = [
      [['usage', '--group-by', 'week'], 'mediagate: --group-by: "week" is not one of: provider, model, day, key'],
      [['usage', '--from', 'yesterday'], 'mediagate: --from: "yesterday" is not a date or time, e.g. 2026-11-01 or 2026-11-01T12:00:00Z'],
      [['generate', 'image', 'x', '--pool', '9x'], 'mediagate: --pool: "9x" is not a pool name (letters, digits, _ . - starting with a letter, at most 63), e.g. default'],
      [
        ['generate', 'image', 'x', '--webhook-url', 'ftp://example.com/hook'],
        'mediagate: --webhook-url: "ftp://example.com/hook" is not an http(s) URL of at most 2048 characters, e.g. https://example.com/hooks/mediagate',
      ],
    ];
    for (const [args, message] of cases) {
      const result = await cli.run(args);
      expectExit(result, 2);
      expect(oneLine(result)).toBe(message);
      expect(result.stdout).toBe('');
    }
    // A well-formed pool the provider does not have: refused at submit, listing its pools.
    const unknown = await cli.run(['generate', 'image', 'x', '--provider', 'simulated/image', '--pool', 'nopool']);
    expectExit(unknown, 2);
    expect(oneLine(unknown)).toBe('mediagate: pool: unknown pool "nopool" for simulated; its pools: default, styled');
    expect(await cli.storedAssets()).toBe(0);
  }, slow);
});

describe('usage, presets and --pool, here and through a server', () => {
  it('reports the same JSON locally and from mediagate start, and delivers a --webhook-url job', async () => {
    const styled = await cli.run(['generate', 'image', 'Styled', '--provider', 'simulated/image', '--pool', 'styled', '--size', '64x64', '--json', '-o', 'styled.png']);
    expectExit(styled, 0);
    expect(JSON.parse(styled.stdout)).toMatchObject({ status: 'succeeded', provider: 'simulated', cost: 0.01 });
    const preset = await cli.run(['generate', 'image', 'From the preset', '--preset', 'tiny', '--json', '-o', 'tiny.png']);
    expectExit(preset, 0);
    expect(JSON.parse(preset.stdout)).toMatchObject({ status: 'succeeded', provider: 'local', width: 64, height: 64 });

    const byKey = await cli.run(['usage', '--group-by', 'key', '--json']);
    expectExit(byKey, 0);
    const localUsage = JSON.parse(byKey.stdout) as { data: { key: string; succeeded: number; cost_usd: number }[]; total_cost_usd: number; budgets: unknown[] };
    // The pool's key served the job; the local card needs none.
    expect(localUsage.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'simulated/styled-key', succeeded: 1, cost_usd: 0.01 }),
        expect.objectContaining({ key: 'local/-', succeeded: 1, cost_usd: 0 }),
      ]),
    );
    expect(localUsage.total_cost_usd).toBe(0.01);
    expect(localUsage.budgets).toEqual([expect.objectContaining({ name: 'monthly', limit_usd: 5, spent_usd: 0.01, remaining_usd: 4.99 })]);
    const table = await cli.run(['usage']);
    expectExit(table, 0);
    expect(table.stdout.split('\n').slice(0, 3).map((line) => line.trim().split(/\s+/))).toEqual([
      ['provider', 'jobs', 'attempts', 'succeeded', 'failed', 'cost'],
      expect.arrayContaining(['local', '$0.00']),
      expect.arrayContaining(['simulated', '$0.01']),
    ]);
    expect(table.stdout).toContain('monthly budget (month:');

    const presets = await cli.run(['presets', 'list', '--json']);
    expectExit(presets, 0);
    const localPresets = JSON.parse(presets.stdout) as unknown[];
    expect(localPresets).toEqual([
      expect.objectContaining({ name: 'tiny', source: 'config', model: 'local/card', stats: { succeeded: 1, failed: 0, canceled: 0, success_rate: 1 } }),
    ]);
    const presetLines = await cli.run(['presets', 'list']);
    expect(presetLines.stdout).toBe('tiny  [config] image → local/card {"width":64,"height":64}  (1 jobs, 100% succeeded)  Small card\n');

    const port = await freePort();
    const server = cli.spawn(['start'], { env: { PORT: String(port), MEDIAGATE_FETCH_ALLOW: '127.0.0.1', MEDIAGATE_WEBHOOK_POLL_MS: '100' } });
    try {
      await server.waitForStderr('mediagate start:', 120_000);
      const url = `http://127.0.0.1:${port}`;
      // No --server: found through the lock file; the answers are the API's, and the same.
      const served = await cli.run(['usage', '--group-by', 'key', '--json']);
      expectExit(served, 0);
      expect(JSON.parse(served.stdout)).toEqual(localUsage);
      const servedPresets = await cli.run(['presets', 'list', '--json', '--server', url]);
      expectExit(servedPresets, 0);
      expect(JSON.parse(servedPresets.stdout)).toEqual(localPresets);
      const wrongKey = await cli.run(['usage', '--server', url, '--api-key', 'mg_wrong']);
      expectExit(wrongKey, 2);
      expect(oneLine(wrongKey)).toMatch(/unknown API key/);

      const apiKey = (await readFile(path.join(cli.home, 'api-key'), 'utf8')).trim();
      const { secret } = await new Mediagate({ baseURL: url, apiKey }).webhooks.rotateSecret({ previousSecretValidFor: 0 });
      const hooked = await cli.run(['generate', 'image', 'Tell me when done', '--preset', 'tiny', '--webhook-url', `${receiver.url}/done`, '--json', '-o', 'hooked.png']);
      expectExit(hooked, 0);
      const { jobId } = JSON.parse(hooked.stdout) as { jobId: string };
      const deadline = Date.now() + 60_000;
      while (!receiver.received.some((message) => message.headers['webhook-id'] === `msg_${jobId}`) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const message = receiver.received.find((received) => received.headers['webhook-id'] === `msg_${jobId}`);
      expect(message?.path).toBe('/done');
      const event = new Webhook(secret).verify(message?.body ?? '', message?.headers as Record<string, string>) as { type: string; data: { id: string } };
      expect(event).toMatchObject({ type: 'job.succeeded', data: { id: jobId } });
    } finally {
      server.child.kill('SIGTERM');
      await server.exited(30_000);
    }
  }, slow);
});
